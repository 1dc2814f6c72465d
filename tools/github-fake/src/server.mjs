// The fake GitHub: node src/server.mjs [--port N] [--prefix /api/v3] [--spec NAME]
//   [--data-dir DIR] [--unseal PATH]
// Listens on 127.0.0.1 (port 0 by default: the kernel picks one) and prints
// "listening <port>" on stdout once it accepts connections. GitHub's REST operations are
// served under the prefix; /__fake/... is the test's control API (README.md).
import { createServer } from "node:http";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OpenApi } from "./openapi.mjs";
import { GitHub, handlers, error, requiredPermission, grants, setVariable } from "./github.mjs";
import { Runner } from "./runner.mjs";
import { Webhooks, pushPayload, workflowJobPayload, workflowRunPayload } from "./webhooks.mjs";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const prefix = args.prefix || "";
// GitHub Enterprise Server lives under /api/v3 and has its own description (no
// return_run_details on a dispatch, for one).
const specName = args.spec || (prefix === "/api/v3" ? "ghes-3.19" : "api.github.com");
const API_VERSIONS = new Set(["2022-11-28", "2026-03-10"]);
// Statuses GitHub may answer to any operation whether or not the description lists them:
// authentication failures, rate limits, a repository the token cannot see (404) and
// validation failures (422). Validated as basic-error when the operation does not list them.
const ANY_OPERATION = new Set([401, 403, 404, 422, 429]);

// Each repository is a bare git repository under the data dir (a fresh temporary one,
// removed on exit, unless --data-dir names one).
const ownDataDir = !args["data-dir"];
const dataDir = args["data-dir"] || mkdtempSync(join(tmpdir(), "odmd-github-fake-"));
const api = new OpenApi(specName);
let gh = null; // created once the port is known
let runner = null;
const webhooks = new Webhooks();
const violations = [];
const log = [];
const injections = [];

function send(res, status, body, headers = {}) {
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, { ...(text ? { "content-type": "application/json; charset=utf-8" } : {}), ...headers });
  res.end(text);
}

function control(req, res, path, json) {
  const m = (re) => re.exec(path);
  let r;
  if (req.method === "GET" && path === "/__fake/violations") return send(res, 200, { violations });
  if (req.method === "GET" && path === "/__fake/log") return send(res, 200, { log });
  if (req.method === "GET" && path === "/__fake/state") return send(res, 200, stateDump());
  if (req.method === "POST" && path === "/__fake/app") {
    gh.setApp(json.id, json.public_key_pem);
    return send(res, 200, {});
  }
  if (req.method === "POST" && path === "/__fake/installations") {
    gh.addInstallation(json);
    return send(res, 200, {});
  }
  if (req.method === "POST" && path === "/__fake/expire-tokens") {
    gh.expireTokens();
    return send(res, 200, {});
  }
  if (req.method === "POST" && path === "/__fake/inject") {
    injections.push({ ...json, times: json.times || 1 });
    return send(res, 200, {});
  }
  if (req.method === "POST" && (r = m(/^\/__fake\/repos\/([^/]+)\/([^/]+)\/files$/))) {
    const repo = gh.repos.get(`${r[1]}/${r[2]}`);
    if (!repo) return send(res, 404, { message: `no repository ${r[1]}/${r[2]}` });
    return send(res, 200, { sha: gh.commitFiles(repo, json.branch || "main", json.files, json.message) });
  }
  if (req.method === "POST" && (r = m(/^\/__fake\/repos\/([^/]+)\/([^/]+)\/runs\/(\d+)$/))) {
    const repo = gh.repos.get(`${r[1]}/${r[2]}`);
    const run = repo?.runs.get(Number(r[3]));
    if (!run) return send(res, 404, { message: `no run ${r[3]}` });
    runner.move(repo, run, json.status, json.conclusion);
    return send(res, 200, {});
  }
  if (req.method === "GET" && (r = m(/^\/__fake\/repos\/([^/]+)\/([^/]+)\/runs\/(\d+)\/log$/))) {
    const run = gh.repos.get(`${r[1]}/${r[2]}`)?.runs.get(Number(r[3]));
    if (!run) return send(res, 404, { message: `no run ${r[3]}` });
    return send(res, 200, { status: run.status, conclusion: run.conclusion, log: (run.log || []).join("\n") });
  }
  if (req.method === "POST" && (r = m(/^\/__fake\/repos\/([^/]+)\/([^/]+)\/push$/))) {
    const repo = gh.repos.get(`${r[1]}/${r[2]}`);
    if (!repo) return send(res, 404, { message: `no repository ${r[1]}/${r[2]}` });
    if (typeof json.ref !== "string" || !json.ref.startsWith("refs/")) return send(res, 422, { message: `push: "ref" must be a full ref name (refs/heads/...), got ${JSON.stringify(json.ref)}` });
    if (json.before !== undefined && !/^[0-9a-f]{40}$/.test(json.before)) return send(res, 422, { message: `push: "before" must be a 40-hex sha, got ${JSON.stringify(json.before)}` });
    const after = repo.refs.get(json.ref);
    gh.pushed(repo, json.ref, json.before, after);
    return send(res, 200, { after: after || null });
  }
  if (req.method === "POST" && (r = m(/^\/__fake\/repos\/([^/]+)\/([^/]+)\/variables$/))) {
    const repo = gh.repos.get(`${r[1]}/${r[2]}`);
    if (!repo) return send(res, 404, { message: `no repository ${r[1]}/${r[2]}` });
    for (const [k, v] of Object.entries(json)) {
      if (v === null) repo.variables.delete(k.toUpperCase());
      else setVariable(repo, k, v);
    }
    return send(res, 200, {});
  }
  if (req.method === "POST" && path === "/__fake/webhooks") {
    webhooks.configure(json);
    return send(res, 200, {});
  }
  if (req.method === "GET" && path === "/__fake/deliveries") {
    return send(res, 200, { deliveries: webhooks.deliveries });
  }
  if (req.method === "POST" && path === "/__fake/runner") {
    runner.configure(json);
    return send(res, 200, {});
  }
  return send(res, 404, { message: `no control endpoint ${req.method} ${path}` });
}

function stateDump() {
  const repos = {};
  for (const [full, r] of gh.repos) {
    repos[full] = {
      refs: Object.fromEntries(r.refs),
      secrets: Object.fromEntries([...r.secrets].map(([k, s]) => [k, { encrypted_value: s.encrypted_value, key_id: s.key_id }])),
      public_key: r.key,
      runs: [...r.runs.values()].map(({ id, head_branch, head_sha, path, status, conclusion, inputs, job }) => ({ id, head_branch, head_sha, path, status, conclusion, inputs, job })),
      git_dir: r.git.gitDir,
      variables: Object.fromEntries([...r.variables.values()].map((v) => [v.name, v.value])),
      files: Object.fromEntries([...r.refs].map(([ref, sha]) => [ref, filesAt(r, sha)])),
    };
  }
  return { dispatches: gh.dispatches, repos, data_dir: dataDir };
}

// path -> text of every file in commit `sha`.
function filesAt(repo, sha) {
  const flat = repo.git.flatten(repo.git.get(sha, "commit").tree);
  return Object.fromEntries([...flat].map(([path, e]) => [path, repo.git.get(e.sha).content.toString()]));
}

function takeInjection(method, path) {
  const i = injections.findIndex((x) => (!x.method || x.method === method) && new RegExp(x.path || ".").test(path));
  if (i < 0) return null;
  const inj = injections[i];
  if (--inj.times <= 0) injections.splice(i, 1);
  return inj;
}

// The problems GitHub would refuse a request for before looking at its operation.
function headerProblems(req) {
  const out = [];
  if (!req.headers["user-agent"]) out.push(`${req.method} ${req.path}: no User-Agent header (GitHub answers 403)`);
  const v = req.headers["x-github-api-version"];
  if (v !== undefined && !API_VERSIONS.has(v)) out.push(`${req.method} ${req.path}: X-GitHub-Api-Version "${v}" is not a supported version (GitHub answers 400)`);
  return out;
}

function serveApi(req) {
  const problems = headerProblems(req);
  const { found, problems: more } = api.validateRequest(req);
  problems.push(...more);
  if (problems.length) {
    violations.push(...problems.map((p) => `request: ${p}`));
    return { result: found ? { status: 422, body: { message: "Invalid request.\n\n" + problems.join("\n"), documentation_url: "https://docs.github.com/rest" } } : error(404, "Not Found"), route: found?.route, skipCheck: true };
  }
  const { route, params } = found;
  const opId = route.op.operationId;
  const inj = takeInjection(req.method, req.path);
  if (inj) {
    // Validated like any answer when GitHub documents the status for this operation (so a
    // test can prove the response check fails); a 5xx has no schema to check against.
    const documented = ANY_OPERATION.has(inj.status) || String(inj.status) in route.op.responses;
    return { result: { status: inj.status, body: inj.body, headers: inj.headers || {} }, route, skipCheck: !documented };
  }
  const handler = handlers[opId];
  if (!handler) {
    violations.push(`fake: ${opId} (${req.method} ${req.path}) is not implemented by the fake GitHub`);
    return { result: error(404, "Not Found"), route, skipCheck: true };
  }
  const wantJwt = route.template === "/app" || route.template.startsWith("/app/");
  const auth = gh.authenticate(req.headers, wantJwt);
  if (auth.fail) return { result: auth.fail, route };
  const ctx = { params, query: req.query, json: req.json, auth };
  if (params.owner && params.repo) {
    const r = gh.repoFor(auth, params);
    if (r.fail) return { result: r.fail, route };
    ctx.repo = r.repo;
    const need = requiredPermission(opId, req.method);
    if (need && !grants(auth.token.permissions, ...need)) {
      return { result: error(403, "Resource not accessible by integration"), route };
    }
  }
  return { result: handler(gh, ctx), route };
}

function respond(req, res, { result, route, skipCheck }) {
  const headers = {
    "x-ratelimit-limit": "5000", "x-ratelimit-remaining": "4999", "x-ratelimit-used": "1", "x-ratelimit-resource": "core",
    "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 3600), "x-github-api-version-selected": "2022-11-28",
    ...(result.headers || {}),
  };
  let { status, body } = result;
  if (req.method === "GET" && status === 200 && body !== undefined) {
    const etag = `W/"${createHash("sha256").update(JSON.stringify(body)).digest("hex")}"`;
    headers.etag = etag;
    if (req.headers["if-none-match"] === etag) {
      status = 304;
      body = undefined;
    }
  }
  if (route && !skipCheck) {
    const problems = ANY_OPERATION.has(status) && !route.op.responses[String(status)]
      ? api.check("/components/schemas/basic-error", body, `${route.op.operationId} ${req.method} ${req.path} -> ${status}: response body`)
      : api.validateResponse(route, req, status, body);
    violations.push(...problems.map((p) => `response: ${p}`));
  }
  log.push({ method: req.method, path: req.path, status });
  send(res, status, body, headers);
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    try {
      const url = new URL(req.url, "http://fake");
      const r = { method: req.method, headers: req.headers, query: Object.fromEntries(url.searchParams), body: Buffer.concat(chunks).toString("utf8") };
      if (url.pathname.startsWith("/__fake/")) return control(req, res, url.pathname, r.body ? JSON.parse(r.body) : {});
      if (!url.pathname.startsWith(prefix + "/")) {
        violations.push(`request: ${req.method} ${url.pathname}: outside the API prefix "${prefix}"`);
        return send(res, 404, { message: "Not Found" });
      }
      r.path = url.pathname.slice(prefix.length);
      respond(r, res, serveApi(r));
    } catch (e) {
      violations.push(`fake: ${req.method} ${req.url}: ${e.stack}`);
      send(res, 500, { message: String(e) });
    }
  });
});

server.listen(Number(args.port || 0), "127.0.0.1", () => {
  const { port } = server.address();
  gh = new GitHub(`http://127.0.0.1:${port}${prefix}`, specName, dataDir);
  const notify = (repo, run, event, action) => {
    const build = event === "workflow_run" ? workflowRunPayload : workflowJobPayload;
    webhooks.send(repo, event, build(gh, repo, run, action), gh.app?.id);
  };
  runner = new Runner(gh, dataDir, notify);
  if (args.unseal) runner.configure({ secrets_unseal: args.unseal });
  gh.listeners.push = (repo, ref, before, after) => webhooks.send(repo, "push", pushPayload(gh, repo, ref, before, after), gh.app?.id);
  gh.listeners.dispatch = (repo, run) => runner.dispatched(repo, run);
  process.stdout.write(`listening ${port}\n`);
});
// The test that started us may die without stopping us: stdin closes with it.
process.stdin.on("end", () => process.exit(0));
process.on("SIGTERM", () => process.exit(0));
process.on("SIGINT", () => process.exit(0));
process.on("exit", () => {
  runner?.killAll();
  if (ownDataDir) rmSync(dataDir, { recursive: true, force: true });
});
process.stdin.resume();
