// The state the platform touches at GitHub and the operations on it, keyed by GitHub's
// operationId. Each handler gets {params, query, json, auth} and returns {status, body}.
import { createPublicKey, generateKeyPairSync, randomBytes, verify } from "node:crypto";
import { join } from "node:path";
import { GitObjects, ZERO_SHA } from "./git.mjs";
import * as O from "./objects.mjs";

const DOCS = "https://docs.github.com/rest";
export const error = (status, message, extra = {}) => ({ status, body: { message, documentation_url: DOCS, status: String(status), ...extra } });
const validation = (message, field) => ({
  status: 422,
  body: { message, documentation_url: DOCS, status: "422", ...(field ? { errors: [{ resource: "Request", field, code: "invalid" }] } : {}) },
});
const TOKEN_TTL_MS = 60 * 60 * 1000;
const SIGNATURE = { name: "odmd test", email: "odmd@example.invalid" };

export class GitHub {
  // `dataDir`: where each repository's bare git repository lives (<owner>/<name>.git).
  constructor(base, specName, dataDir) {
    this.dataDir = dataDir;
    this.base = base; // URL prefix of the API, e.g. http://127.0.0.1:4321 or .../api/v3
    this.enterprise = specName.startsWith("ghes-");
    this.app = null; // {id, publicKey}
    this.installations = new Map(); // id -> {id, account, account_id, repos:Set, permissions}
    this.tokens = new Map(); // token -> {installation, expires_ms, repos:Set|null}
    this.repos = new Map(); // "o/r" -> repo
    this.nextId = 1000;
    this.dispatches = []; // every accepted workflow_dispatch, in order
    // What the server listens for: a ref changed (push webhook), a run was created (the
    // runner and the workflow_run/workflow_job webhooks).
    this.listeners = { push: () => {}, dispatch: () => {} };
  }

  // A ref of `repo` moved from `before` to `after` (ZERO_SHA: created or deleted).
  pushed(repo, ref, before, after) {
    this.listeners.push(repo, ref, before || ZERO_SHA, after || ZERO_SHA);
  }

  // Control (not GitHub's API): the app, its installations and repositories.
  setApp(id, publicKeyPem) {
    this.app = { id: Number(id), publicKey: createPublicKey(publicKeyPem) };
  }

  addInstallation({ id, account, repositories = [], permissions }) {
    const inst = {
      id: Number(id), account, account_id: this.nextId++, repos: new Set(),
      permissions: permissions || { contents: "write", actions: "write", secrets: "write", workflows: "write", metadata: "read" },
    };
    this.installations.set(inst.id, inst);
    for (const name of repositories) this.addRepo(inst, name);
    return inst;
  }

  addRepo(inst, name) {
    const repo = {
      id: this.nextId++, owner: inst.account, owner_id: inst.account_id, name, default_branch: "main",
      git: new GitObjects(join(this.dataDir, inst.account, `${name}.git`)), workflows: new Map(), runs: new Map(), secrets: new Map(),
      installation: inst.id, key: this.newSealKey(), variables: new Map(),
    };
    repo.refs = repo.git.refs;
    const tree = repo.git.build(new Map([["README.md", { mode: "100644", type: "blob", sha: repo.git.putBlob(Buffer.from(`# ${name}\n`)) }]]));
    repo.refs.set("refs/heads/main", this.commit(repo, tree, [], "initial commit"));
    this.repos.set(`${inst.account}/${name}`, repo);
    inst.repos.add(`${inst.account}/${name}`);
  }

  // A libsodium (X25519) key pair; `key` is what GitHub answers, `private` lets a test open
  // the sealed box.
  newSealKey() {
    const { publicKey, privateKey } = generateKeyPairSync("x25519");
    const raw = (k, f) => Buffer.from(k.export({ format: "jwk" })[f], "base64url").toString("base64");
    return { key_id: String(this.nextId++) + "0123456789", key: raw(publicKey, "x"), private: raw(privateKey, "d") };
  }

  commit(repo, tree, parents, message) {
    const who = { ...SIGNATURE, date: O.iso(Date.now()) };
    return repo.git.putCommit({ tree, parents, message, author: who, committer: who });
  }

  // Commits `files` (path -> text) onto `branch` (created from main when missing).
  commitFiles(repo, branch, files, message = "fake: files") {
    const ref = `refs/heads/${branch}`;
    const parent = repo.refs.get(ref) || repo.refs.get("refs/heads/main");
    const flat = repo.git.flatten(repo.git.get(parent, "commit").tree);
    for (const [path, text] of Object.entries(files)) {
      if (text === null) flat.delete(path);
      else flat.set(path, { mode: "100644", type: "blob", sha: repo.git.putBlob(Buffer.from(text)) });
    }
    const sha = this.commit(repo, repo.git.build(flat), [parent], message);
    const before = repo.refs.get(ref);
    repo.refs.set(ref, sha);
    this.pushed(repo, ref, before, sha);
    return sha;
  }

  // ----- authentication -----

  // The installation a request's token is for, or an error response.
  authenticate(headers, wantJwt) {
    const m = /^(Bearer|token)\s+(\S+)$/i.exec(headers.authorization || "");
    if (!m) return { fail: error(401, "Requires authentication") };
    if (wantJwt) return this.checkJwt(m[2]);
    const t = this.tokens.get(m[2]);
    if (!t || t.expires_ms <= Date.now()) return { fail: error(401, "Bad credentials") };
    return { token: t };
  }

  checkJwt(jwt) {
    const bad = (why) => ({ fail: error(401, why) });
    if (!this.app) return bad("Integration not found");
    const parts = jwt.split(".");
    if (parts.length !== 3) return bad("A JSON web token could not be decoded");
    let header, payload;
    try {
      header = JSON.parse(Buffer.from(parts[0], "base64url"));
      payload = JSON.parse(Buffer.from(parts[1], "base64url"));
    } catch {
      return bad("A JSON web token could not be decoded");
    }
    if (header.alg !== "RS256") return bad("A JSON web token could not be decoded");
    const ok = verify("RSA-SHA256", Buffer.from(`${parts[0]}.${parts[1]}`), this.app.publicKey, Buffer.from(parts[2], "base64url"));
    if (!ok) return bad("A JSON web token could not be decoded");
    const now = Math.floor(Date.now() / 1000);
    if (String(payload.iss) !== String(this.app.id)) return bad("Integration not found");
    if (typeof payload.exp !== "number" || payload.exp <= now) return bad("'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires");
    if (payload.exp > now + 600 + 5) return bad("'Expiration time' claim ('exp') is too far in the future");
    if (typeof payload.iat !== "number" || payload.iat > now + 5) return bad("'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued");
    return { app: true };
  }

  // The repository of a request, or an error response: GitHub answers 404 for a
  // repository the token cannot see.
  repoFor(auth, params) {
    const full = `${params.owner}/${params.repo}`;
    const repo = this.repos.get(full);
    const inst = this.installations.get(auth.token.installation);
    if (!repo || !inst || !inst.repos.has(full) || (auth.token.repos && !auth.token.repos.has(params.repo))) {
      return { fail: error(404, "Not Found") };
    }
    return { repo };
  }

  // An installation access token for a simulated run (its secrets.GITHUB_TOKEN).
  mintToken(repo) {
    const inst = this.installations.get(repo.installation);
    const token = `ghs_${randomBytes(18).toString("base64url")}`;
    this.tokens.set(token, { installation: inst.id, expires_ms: Date.now() + TOKEN_TTL_MS, repos: new Set([repo.name]), permissions: inst.permissions });
    return token;
  }

  expireTokens() {
    for (const t of this.tokens.values()) t.expires_ms = 0;
  }
}

// operationId -> handler. `ctx.repo` is set for /repos/{owner}/{repo}/... operations.
export const handlers = {
  "apps/get-authenticated": (gh) => ({ status: 200, body: O.integration(gh.base, gh.app) }),

  "apps/get-installation": (gh, { params }) => {
    const inst = gh.installations.get(Number(params.installation_id));
    return inst ? { status: 200, body: O.installation(gh.base, gh.app, inst) } : error(404, "Not Found");
  },

  "apps/create-installation-access-token": (gh, { params, json = {} }) => {
    const inst = gh.installations.get(Number(params.installation_id));
    if (!inst) return error(404, "Not Found");
    let repos = null;
    if (json.repositories) {
      for (const r of json.repositories) {
        if (!inst.repos.has(`${inst.account}/${r}`)) return validation(`There is at least one repository that does not exist or is not accessible to the parent installation.`, "repositories");
      }
      repos = new Set(json.repositories);
    }
    let permissions = inst.permissions;
    if (json.permissions) {
      for (const [name, level] of Object.entries(json.permissions)) {
        if (!grants(inst.permissions, name, level)) return validation("The permissions requested are not granted to this installation.", "permissions");
      }
      permissions = json.permissions;
    }
    const token = `ghs_${randomBytes(18).toString("base64url")}`;
    const expires_ms = Date.now() + TOKEN_TTL_MS;
    gh.tokens.set(token, { installation: inst.id, expires_ms, repos, permissions });
    return { status: 201, body: { token, expires_at: O.iso(expires_ms), permissions, repository_selection: "selected" } };
  },

  "git/get-ref": (gh, { repo, params }) => {
    const ref = `refs/${params.ref}`;
    const sha = repo.refs.get(ref);
    return sha ? { status: 200, body: O.gitRef(gh.base, repo, ref, sha) } : error(404, "Not Found");
  },

  "git/create-ref": (gh, { repo, json, auth }) => {
    if (!/^refs\/[^/]+\/.+/.test(json.ref)) return validation("Reference name must start with 'refs/' and have at least two slashes.", "ref");
    if (!repo.git.get(json.sha, "commit")) return validation("Object does not exist", "sha");
    if (!repo.git.validRefName(json.ref)) return validation(`${json.ref} is not a valid ref name.`, "ref");
    if (repo.refs.has(json.ref)) return validation("Reference already exists", "ref");
    const refused = workflowsRefusal(repo, auth, repo.refs.get(`refs/heads/${repo.default_branch}`), json.sha);
    if (refused) return refused;
    repo.refs.set(json.ref, json.sha);
    gh.pushed(repo, json.ref, ZERO_SHA, json.sha);
    return { status: 201, body: O.gitRef(gh.base, repo, json.ref, json.sha) };
  },

  "git/update-ref": (gh, { repo, params, json, auth }) => {
    const ref = `refs/${params.ref}`;
    const old = repo.refs.get(ref);
    if (!old) return validation("Reference does not exist", "ref");
    if (!repo.git.get(json.sha, "commit")) return validation("Object does not exist", "sha");
    if (!json.force && !isAncestor(repo, old, json.sha)) return validation("Update is not a fast forward");
    const refused = workflowsRefusal(repo, auth, old, json.sha);
    if (refused) return refused;
    repo.refs.set(ref, json.sha);
    if (old !== json.sha) gh.pushed(repo, ref, old, json.sha);
    return { status: 200, body: O.gitRef(gh.base, repo, ref, json.sha) };
  },

  "git/get-commit": (gh, { repo, params }) => {
    const c = repo.git.get(params.commit_sha, "commit");
    return c ? { status: 200, body: O.gitCommit(gh.base, repo, c) } : error(404, "Not Found");
  },

  "git/get-tree": (gh, { repo, params }) => {
    const t = repo.git.get(params.tree_sha, "tree");
    if (!t) return error(404, "Not Found");
    const entries = t.entries.map((e) => ({ path: e.name, mode: e.mode, type: e.type, sha: e.sha, size: e.type === "blob" ? repo.git.get(e.sha).content.length : undefined }));
    return { status: 200, body: O.gitTree(gh.base, repo, t.sha, entries) };
  },

  "git/create-blob": (gh, { repo, json }) => {
    const enc = json.encoding || "utf-8";
    if (enc !== "utf-8" && enc !== "base64") return validation(`encoding must be utf-8 or base64`, "encoding");
    const sha = repo.git.putBlob(Buffer.from(json.content, enc === "base64" ? "base64" : "utf8"));
    return { status: 201, body: { url: `${gh.base}/repos/${repo.owner}/${repo.name}/git/blobs/${sha}`, sha } };
  },

  "git/create-tree": (gh, { repo, json }) => {
    let flat = new Map();
    if (json.base_tree) {
      if (!repo.git.get(json.base_tree, "tree")) return validation("base_tree is not a valid tree oid", "base_tree");
      flat = repo.git.flatten(json.base_tree);
    }
    for (const e of json.tree) {
      if (e.sha === null) {
        flat.delete(e.path);
        continue;
      }
      if (e.type !== "blob" || !e.path) return validation(`tree.path and a blob type are required`, "tree");
      let sha = e.sha;
      if (sha === undefined) {
        if (e.content === undefined) return validation("Must supply either tree.sha or tree.content", "tree");
        sha = repo.git.putBlob(Buffer.from(e.content));
      } else if (!repo.git.get(sha, "blob")) {
        return validation(`tree.sha ${sha} is not a valid blob`, "tree");
      }
      flat.set(e.path, { mode: e.mode, type: "blob", sha });
    }
    const sha = repo.git.build(flat);
    const t = repo.git.get(sha, "tree");
    const entries = t.entries.map((x) => ({ path: x.name, mode: x.mode, type: x.type, sha: x.sha }));
    return { status: 201, body: O.gitTree(gh.base, repo, sha, entries) };
  },

  "git/create-commit": (gh, { repo, json }) => {
    if (!repo.git.get(json.tree, "tree")) return validation("Tree SHA does not exist", "tree");
    for (const p of json.parents || []) if (!repo.git.get(p, "commit")) return validation("Parent SHA does not exist or is not a commit object", "parents");
    const sha = gh.commit(repo, json.tree, json.parents || [], json.message);
    return { status: 201, body: O.gitCommit(gh.base, repo, repo.git.get(sha)) };
  },

  "repos/get": (gh, { repo }) => ({ status: 200, body: O.fullRepository(gh.base, repo) }),
  "repos/get-content": (gh, { repo, params, query }) => {
    const ref = query.ref || repo.default_branch;
    const commit = resolveRef(repo, ref);
    if (!commit) return error(404, `No commit found for the ref ${ref}`);
    const blob = repo.git.fileAt(commit, params.path);
    return blob ? { status: 200, body: O.contentFile(gh.base, repo, params.path, ref, blob) } : error(404, "Not Found");
  },

  "actions/create-workflow-dispatch": (gh, { repo, params, json }) => {
    const commit = resolveRef(repo, json.ref);
    if (!commit) return validation(`No ref found for: ${json.ref}`);
    const wf = workflowOf(repo, params.workflow_id);
    const file = wf && repo.git.fileAt(commit, wf.path);
    if (!file) return error(404, "Not Found");
    if (!/workflow_dispatch/.test(file.content.toString())) return validation("Workflow does not have 'workflow_dispatch' trigger");
    const now = Date.now();
    const run = {
      id: gh.nextId++, name: wf.name, head_branch: json.ref.replace(/^refs\/(heads|tags)\//, ""), head_sha: commit,
      path: wf.path, display_title: wf.name, run_number: ++wf.runs, event: "workflow_dispatch", status: "queued",
      conclusion: null, workflow_id: wf.id, created_at: now, updated_at: now, inputs: json.inputs || {},
    };
    repo.runs.set(run.id, run);
    gh.dispatches.push({ repo: `${repo.owner}/${repo.name}`, workflow: wf.path, ref: json.ref, inputs: run.inputs, run_id: run.id });
    run.ref = json.ref.startsWith("refs/") ? json.ref : resolveRefName(repo, json.ref);
    gh.listeners.dispatch(repo, run);
    if (!json.return_run_details || gh.enterprise) return { status: 204 };
    const html = `https://github.example.invalid/${repo.owner}/${repo.name}/actions/runs/${run.id}`;
    return { status: 200, body: { workflow_run_id: run.id, run_url: `${gh.base}/repos/${repo.owner}/${repo.name}/actions/runs/${run.id}`, html_url: html } };
  },

  "actions/get-workflow-run": (gh, { repo, params }) => {
    const run = repo.runs.get(Number(params.run_id));
    return run ? { status: 200, body: runBody(gh, repo, run) } : error(404, "Not Found");
  },

  "actions/list-workflow-runs": (gh, ctx) => {
    const wf = workflowOf(ctx.repo, ctx.params.workflow_id);
    if (!wf) return error(404, "Not Found");
    return listRuns(gh, ctx, (r) => r.workflow_id === wf.id);
  },

  "actions/list-workflow-runs-for-repo": (gh, ctx) => listRuns(gh, ctx, () => true),

  "actions/get-repo-public-key": (gh, { repo }) => ({ status: 200, body: { key_id: repo.key.key_id, key: repo.key.key } }),

  "actions/get-repo-secret": (gh, { repo, params }) => {
    const s = repo.secrets.get(params.secret_name.toUpperCase());
    return s ? { status: 200, body: { name: s.name, created_at: O.iso(s.created_at), updated_at: O.iso(s.updated_at) } } : error(404, "Not Found");
  },

  // Repository variables (vars.NAME in a workflow). GitHub's "Variables" app permission is
  // not in the description's app-permissions, so the fake does not check it.
  "actions/list-repo-variables": (gh, { repo, query }) => {
    const all = [...repo.variables.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
    const perPage = Math.min(Number(query.per_page || 10), 30);
    const page = Number(query.page || 1);
    return { status: 200, body: { total_count: all.length, variables: all.slice((page - 1) * perPage, page * perPage).map(variableBody) } };
  },

  "actions/get-repo-variable": (gh, { repo, params }) => {
    const v = repo.variables.get(params.name.toUpperCase());
    return v ? { status: 200, body: variableBody(v) } : error(404, "Not Found");
  },

  "actions/create-repo-variable": (gh, { repo, json }) => {
    if (!VARIABLE_NAME.test(json.name)) return validation(VARIABLE_NAME_RULE, "name");
    if (repo.variables.has(json.name.toUpperCase())) return validation("Already exists - Variable already exists", "name"); // 422: the description documents no 409 here
    setVariable(repo, json.name, json.value);
    return { status: 201, body: {} };
  },

  "actions/update-repo-variable": (gh, { repo, params, json }) => {
    const v = repo.variables.get(params.name.toUpperCase());
    if (!v) return error(404, "Not Found");
    if (json.name !== undefined && !VARIABLE_NAME.test(json.name)) return validation(VARIABLE_NAME_RULE, "name");
    if (json.name !== undefined && json.name.toUpperCase() !== v.name) repo.variables.delete(v.name);
    setVariable(repo, json.name ?? v.name, json.value ?? v.value, v.created_at);
    return { status: 204 };
  },

  "actions/delete-repo-variable": (gh, { repo, params }) => {
    if (!repo.variables.delete(params.name.toUpperCase())) return error(404, "Not Found");
    return { status: 204 };
  },

  "actions/create-or-update-repo-secret": (gh, { repo, params, json }) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(params.secret_name) || /^GITHUB_/i.test(params.secret_name)) {
      return validation("Secret names can only contain alphanumeric characters ([a-z], [A-Z], [0-9]) or underscores (_) and must not start with GITHUB_", "secret_name");
    }
    if (json.key_id !== repo.key.key_id) return validation("Bad request - key_id is not valid", "key_id");
    if (Buffer.from(json.encrypted_value, "base64").length < 48) return validation("encrypted_value is not a sealed box", "encrypted_value");
    const name = params.secret_name.toUpperCase();
    const old = repo.secrets.get(name);
    const now = Date.now();
    repo.secrets.set(name, { name, encrypted_value: json.encrypted_value, key_id: json.key_id, created_at: old ? old.created_at : now, updated_at: now });
    return old ? { status: 204 } : { status: 201, body: {} };
  },
};

const VARIABLE_NAME = /^(?!GITHUB_)[A-Za-z_][A-Za-z0-9_]*$/i;
const VARIABLE_NAME_RULE = "Variable names can only contain alphanumeric characters ([a-z], [A-Z], [0-9]) or underscores (_), must not start with a number or GITHUB_";

export function setVariable(repo, name, value, created_at = Date.now()) {
  const key = String(name).toUpperCase();
  repo.variables.set(key, { name: key, value: String(value), created_at, updated_at: Date.now() });
}

const variableBody = (v) => ({ name: v.name, value: v.value, created_at: O.iso(v.created_at), updated_at: O.iso(v.updated_at) });

// The app permission an operation needs ("Permissions required for GitHub Apps" in GitHub's
// documentation), as [name, level]; null for operations the table does not cover.
export function requiredPermission(operationId, method) {
  const rw = method === "GET" ? "read" : "write";
  if (operationId === "repos/get") return null;  // metadata: read, which every installation has
  if (operationId.startsWith("git/") || operationId === "repos/get-content") return ["contents", rw];
  if (operationId === "actions/create-workflow-dispatch") return ["actions", "write"];
  if (/^actions\/(get-workflow-run|list-workflow-runs)/.test(operationId)) return ["actions", "read"];
  if (/^actions\/.*(secret|public-key)/.test(operationId)) return ["secrets", rw];
  return null;
}

export function grants(permissions, name, level) {
  const have = permissions[name];
  return have === "write" || (have === "read" && level === "read");
}

export function runBody(gh, repo, run) {
  return O.workflowRun(gh.base, repo, run, repo.git.get(run.head_sha, "commit"));
}

function listRuns(gh, { repo, query }, pick) {
  const statuses = new Set(["completed", "in_progress", "queued", "requested", "waiting", "pending"]);
  const runs = [...repo.runs.values()]
    .filter(pick)
    .filter((r) => !query.branch || r.head_branch === query.branch)
    .filter((r) => !query.event || r.event === query.event)
    .filter((r) => !query.head_sha || r.head_sha === query.head_sha)
    .filter((r) => !query.status || (statuses.has(query.status) ? r.status === query.status : r.conclusion === query.status))
    .sort((a, b) => b.id - a.id);
  const perPage = Math.min(Number(query.per_page || 30), 100);
  const page = Number(query.page || 1);
  const slice = runs.slice((page - 1) * perPage, page * perPage);
  return { status: 200, body: { total_count: runs.length, workflow_runs: slice.map((r) => runBody(gh, repo, r)) } };
}

// A workflow by id or by file name. GitHub knows a workflow once its file is on the default
// branch ("This event will only trigger a workflow run if the workflow file exists on the
// default branch"; a file only on another branch answers 404 to a dispatch), and keeps
// knowing it afterwards.
function workflowOf(repo, idOrFile) {
  const path = /^\d+$/.test(idOrFile) ? null : `.github/workflows/${idOrFile}`;
  for (const wf of repo.workflows.values()) if (wf.path === path || String(wf.id) === idOrFile) return wf;
  if (!path || !repo.git.fileAt(repo.refs.get(`refs/heads/${repo.default_branch}`), path)) return null;
  const wf = { id: 7000 + repo.workflows.size, path, name: idOrFile.replace(/\.ya?ml$/, ""), runs: 0 };
  repo.workflows.set(path, wf);
  return wf;
}

// The full name of a dispatch's ref ("main" -> "refs/heads/main"); a sha stays a sha.
function resolveRefName(repo, ref) {
  if (repo.refs.has(`refs/heads/${ref}`)) return `refs/heads/${ref}`;
  if (repo.refs.has(`refs/tags/${ref}`)) return `refs/tags/${ref}`;
  return ref;
}

// GitHub refuses an app's ref change that adds, changes or deletes a file under
// .github/workflows/ unless the app has the `workflows` permission (write); the text is the
// one GitHub gives (docs/github.md, "The workflows permission").
function workflowsRefusal(repo, auth, oldSha, newSha) {
  if (grants(auth.token.permissions, "workflows", "write")) return null;
  const files = (sha) => {
    const c = sha && repo.git.get(sha, "commit");
    if (!c) return new Map();
    return new Map([...repo.git.flatten(c.tree)].filter(([p]) => p.startsWith(".github/workflows/")));
  };
  const before = files(oldSha);
  const after = files(newSha);
  const changed = [...new Set([...before.keys(), ...after.keys()])].sort().find((p) => before.get(p)?.sha !== after.get(p)?.sha);
  if (!changed) return null;
  return validation(`refusing to allow a GitHub App to create or update workflow \`${changed}\` without \`workflows\` permission`);
}

export { resolveRef };

function resolveRef(repo, ref) {
  if (/^[0-9a-f]{40}$/.test(ref) && repo.git.get(ref, "commit")) return ref;
  const name = ref.replace(/^refs\//, "");
  return repo.refs.get(`refs/${name}`) || repo.refs.get(`refs/heads/${name}`) || repo.refs.get(`refs/tags/${name}`) || null;
}

function isAncestor(repo, ancestor, sha) {
  const seen = new Set();
  const stack = [sha];
  while (stack.length) {
    const s = stack.pop();
    if (s === ancestor) return true;
    if (seen.has(s)) continue;
    seen.add(s);
    const c = repo.git.get(s, "commit");
    if (c) stack.push(...c.parents);
  }
  return false;
}
