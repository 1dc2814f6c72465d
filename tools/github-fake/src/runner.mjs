// Simulated GitHub Actions runs. A dispatched run of a workflow is executed, when the test
// turned the runner on (POST /__fake/runner), one run per (repository, workflow, ref) at a
// time (the generated workflows' concurrency group; later ones wait queued): the dispatched
// commit is extracted into a fresh workspace, the workflow file at that commit is parsed,
// and its single job's steps run in order: `run:` steps with bash and the variables GitHub
// sets, a few well-known `uses:` actions imitated, any other action skipped (and logged).
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import YAML from "yaml";
import { asString, condition, interpolate, needsImplicitSuccess } from "./expressions.mjs";
import { resolveRef } from "./github.mjs";

const WEB = "https://github.example.invalid";
const DEFAULT_TIMEOUT_S = 120;

// NAME=value lines and NAME<<DELIMITER ... DELIMITER blocks of a GITHUB_ENV/GITHUB_OUTPUT file.
export function parseCommandFile(text) {
  const out = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, "");
    if (!line) continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const value = [];
      for (i++; i < lines.length && lines[i].replace(/\r$/, "") !== heredoc[2]; i++) value.push(lines[i]);
      if (i >= lines.length) throw new Error(`${heredoc[1]}: the value has no end line "${heredoc[2]}"`);
      out[heredoc[1]] = value.join("\n");
      continue;
    }
    const eq = line.indexOf("=");
    if (eq <= 0) throw new Error(`"${line}" is neither NAME=value nor NAME<<DELIMITER`);
    out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

const strings = (obj) => Object.fromEntries(Object.entries(obj || {}).map(([k, v]) => [k, v === null || v === undefined ? "" : String(v)]));

function parseWorkflow(text) {
  const wf = YAML.parse(text);
  if (!wf || typeof wf !== "object" || !wf.jobs || typeof wf.jobs !== "object") throw new Error("the workflow has no jobs");
  const jobs = Object.entries(wf.jobs);
  if (jobs.length !== 1) throw new Error(`the fake runs workflows of one job; this one has ${jobs.length}`);
  return { wf, jobId: jobs[0][0], job: jobs[0][1] || {} };
}

export class Runner {
  // `notify(repo, run, event, action)` sends the workflow_run/workflow_job webhooks.
  constructor(gh, dataDir, notify) {
    this.gh = gh;
    this.dataDir = dataDir;
    this.notify = notify;
    this.config = { enabled: false, env: {}, aws: null, registry: null, timeout_seconds: DEFAULT_TIMEOUT_S, unseal: null };
    this.groups = new Map(); // concurrency group -> {running, queue: [[repo, run]]}
    this.children = new Set(); // process group ids of running steps
  }

  configure(json) {
    const c = this.config;
    if (json.enabled !== undefined) c.enabled = Boolean(json.enabled);
    if (json.env !== undefined) c.env = strings(json.env);
    if (json.aws !== undefined) c.aws = json.aws ? strings(json.aws) : null;
    if (json.registry !== undefined) c.registry = json.registry;
    if (json.timeout_seconds !== undefined) c.timeout_seconds = Number(json.timeout_seconds);
    if (json.secrets_unseal !== undefined) c.unseal = json.secrets_unseal;
  }

  killAll() {
    for (const pgid of this.children) {
      try {
        process.kill(-pgid, "SIGKILL");
      } catch {}
    }
  }

  // A new run (a workflow_dispatch): its job, the requested/queued webhooks, and when the
  // runner is on, its place in its concurrency group: as on GitHub (cancel-in-progress
  // false), a run waits while another of its group runs, and a newer run cancels the one
  // already waiting ("Any existing pending job or workflow in the same concurrency group ...
  // will be canceled"). A workflow without `concurrency` runs at once.
  dispatched(repo, run) {
    let name = "build";
    let group = null;
    try {
      const { wf, jobId, job } = parseWorkflow(repo.git.fileAt(run.head_sha, run.path).content.toString());
      name = job.name ? String(job.name) : jobId;
      const ctx = {
        github: { ref: run.ref, ref_name: run.head_branch, workflow: wf.name ?? run.path, event_name: "workflow_dispatch", repository: `${repo.owner}/${repo.name}`, actor: "odmd-test-app[bot]" },
        inputs: { ...run.inputs }, vars: Object.fromEntries([...repo.variables.values()].map((v) => [v.name, v.value])),
      };
      if (wf["run-name"]) run.display_title = asString(String(wf["run-name"]), ctx);
      const c = wf.concurrency;
      if (c) group = asString(String(typeof c === "object" ? c.group : c), ctx);
    } catch {}
    run.job = { id: this.gh.nextId++, name, status: "queued", conclusion: null, steps: [], started_at: null, completed_at: null };
    run.log = [];
    this.notify(repo, run, "workflow_run", "requested");
    this.notify(repo, run, "workflow_job", "queued");
    if (!this.config.enabled) return;
    const key = group === null ? `run ${run.id}` : `${repo.owner}/${repo.name}|${group}`;
    if (!this.groups.has(key)) this.groups.set(key, { running: false, queue: [] });
    const g = this.groups.get(key);
    for (const [r, pending] of g.queue.splice(0)) {
      pending.log.push(`cancelled: run ${run.id} of the concurrency group "${group}" took its place`);
      this.move(r, pending, "completed", "cancelled");
    }
    g.queue.push([repo, run]);
    this.next(key);
  }

  next(key) {
    const g = this.groups.get(key);
    if (g.running || !g.queue.length) {
      if (!g.running) this.groups.delete(key);
      return;
    }
    g.running = true;
    const [repo, run] = g.queue.shift();
    this.execute(repo, run).finally(() => {
      g.running = false;
      this.next(key);
    });
  }

  // A run moved by the test (POST /__fake/repos/{o}/{r}/runs/{id}), with its webhooks.
  move(repo, run, status, conclusion) {
    const now = Date.now();
    Object.assign(run, { status, conclusion: conclusion ?? null, updated_at: now });
    if (!run.job) return;
    if (status === "in_progress" && run.job.status !== "in_progress") {
      Object.assign(run.job, { status, started_at: now });
      this.notify(repo, run, "workflow_run", "in_progress");
      this.notify(repo, run, "workflow_job", "in_progress");
    } else if (status === "completed") {
      Object.assign(run.job, { status, conclusion: conclusion ?? null, completed_at: now });
      this.notify(repo, run, "workflow_job", "completed");
      this.notify(repo, run, "workflow_run", "completed");
    }
  }

  async execute(repo, run) {
    this.move(repo, run, "in_progress", null);
    const log = (line) => run.log.push(line);
    let conclusion;
    try {
      conclusion = await this.steps(repo, run, log);
    } catch (e) {
      log(`##[error]fake runner: ${e.message}`);
      conclusion = "failure";
    }
    this.move(repo, run, "completed", conclusion);
  }

  extract(repo, sha, dir) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const r = spawnSync("sh", ["-c", 'git --git-dir "$0" archive --format=tar "$1" | tar -x -C "$2"', repo.git.gitDir, sha, dir]);
    if (r.status !== 0) throw new Error(`cannot check out ${sha}: ${r.stderr}`);
  }

  // The repository secret `name`, opened with the repository's private key by the unseal
  // helper; "" when there is none.
  secret(repo, name, run) {
    if (name === "GITHUB_TOKEN") return run.token;
    const s = repo.secrets.get(name.toUpperCase());
    if (!s) return "";
    if (!this.config.unseal) throw new Error(`secrets.${name} is set but the fake has no unseal helper (--unseal PATH or secrets_unseal)`);
    const input = `${repo.key.key}\n${repo.key.private}\n${s.encrypted_value}\n`;
    const r = spawnSync(this.config.unseal, [], { input });
    if (r.status !== 0) throw new Error(`cannot open secrets.${name}: ${r.stderr || r.error}`);
    return r.stdout.toString();
  }

  async steps(repo, run, log) {
    const root = join(this.dataDir, "runs", String(run.id));
    const ws = join(root, "workspace");
    const temp = join(root, "temp");
    const files = join(root, "files");
    const home = join(root, "home"); // HOME unless the control call's env gives one
    for (const d of [temp, files, home]) mkdirSync(d, { recursive: true });
    const { wf, jobId, job } = parseWorkflow(repo.git.fileAt(run.head_sha, run.path).content.toString());
    this.extract(repo, run.head_sha, ws);
    run.token = this.gh.mintToken(repo);
    const full = `${repo.owner}/${repo.name}`;
    const refType = run.ref.startsWith("refs/tags/") ? "tag" : "branch";
    const inputs = {};
    for (const [k, v] of Object.entries(wf.on?.workflow_dispatch?.inputs || {})) inputs[k] = v?.default ?? "";
    Object.assign(inputs, run.inputs);
    const workflowName = wf.name ? String(wf.name) : run.path;
    const eventPath = join(files, "event.json");
    writeFileSync(eventPath, JSON.stringify({ inputs, ref: run.ref, repository: { full_name: full, name: repo.name, owner: { login: repo.owner } }, workflow: run.path }));
    const github = {
      ref: run.ref, ref_name: run.head_branch, ref_type: refType, sha: run.head_sha, repository: full, repository_owner: repo.owner,
      repository_id: String(repo.id), workflow: workflowName, workflow_ref: `${full}/${run.path}@${run.ref}`, run_id: String(run.id),
      run_number: String(run.run_number), run_attempt: "1", event_name: "workflow_dispatch", actor: "odmd-test-app[bot]",
      triggering_actor: "odmd-test-app[bot]", workspace: ws, server_url: WEB, api_url: this.gh.base, graphql_url: `${this.gh.base}/graphql`,
      job: jobId, event: { inputs, ref: run.ref }, token: run.token, event_path: eventPath,
    };
    const secretsCache = new Map();
    const secrets = new Proxy({}, {
      has: () => true,
      get: (_, name) => {
        if (typeof name !== "string") return undefined;
        if (!secretsCache.has(name)) secretsCache.set(name, this.secret(repo, name, run));
        return secretsCache.get(name);
      },
    });
    const ctx = {
      github, inputs, secrets, vars: Object.fromEntries([...repo.variables.values()].map((v) => [v.name, v.value])), runner: { temp, os: "Linux", arch: "X64", name: "fake runner", tool_cache: join(root, "tools") },
      env: {}, steps: {}, job: { status: "success" }, matrix: {}, strategy: {}, needs: {}, __status: "success",
    };
    const defaults = {
      CI: "true", GITHUB_ACTIONS: "true", GITHUB_REF: run.ref, GITHUB_REF_NAME: run.head_branch, GITHUB_REF_TYPE: refType,
      GITHUB_SHA: run.head_sha, GITHUB_REPOSITORY: full, GITHUB_REPOSITORY_OWNER: repo.owner, GITHUB_REPOSITORY_ID: String(repo.id),
      GITHUB_WORKSPACE: ws, GITHUB_RUN_ID: String(run.id), GITHUB_RUN_NUMBER: String(run.run_number), GITHUB_RUN_ATTEMPT: "1",
      GITHUB_WORKFLOW: workflowName, GITHUB_WORKFLOW_REF: github.workflow_ref, GITHUB_JOB: jobId, GITHUB_EVENT_NAME: "workflow_dispatch",
      GITHUB_EVENT_PATH: eventPath, GITHUB_ACTOR: github.actor, GITHUB_TRIGGERING_ACTOR: github.actor, GITHUB_SERVER_URL: WEB,
      GITHUB_API_URL: this.gh.base, GITHUB_GRAPHQL_URL: github.graphql_url, RUNNER_TEMP: temp, RUNNER_OS: "Linux",
      RUNNER_ARCH: "X64", RUNNER_NAME: "fake runner", RUNNER_TOOL_CACHE: ctx.runner.tool_cache, RUNNER_WORKSPACE: root,
    };
    const jobEnv = {};
    for (const [k, v] of Object.entries(job.env || {})) {
      ctx.env = { ...jobEnv };
      jobEnv[k] = interpolate(String(v ?? ""), ctx) ?? "";
      jobEnv[k] = String(jobEnv[k]);
    }
    const persisted = {}; // GITHUB_ENV and the imitated actions' exports
    const paths = []; // GITHUB_PATH, newest first
    const deadline = Date.now() + this.config.timeout_seconds * 1000;
    let checkedOut = run.head_sha;
    const stepsList = job.steps || [];
    run.job.steps = stepsList.map((s, i) => ({ name: s.name || (s.run ? `Run ${String(s.run).split("\n")[0]}` : s.uses ? `Run ${s.uses}` : `step ${i + 1}`), status: "queued", conclusion: null }));
    for (let i = 0; i < stepsList.length; i++) {
      const step = stepsList[i];
      const rec = run.job.steps[i];
      ctx.env = { ...jobEnv, ...persisted };
      const stepEnv = {};
      for (const [k, v] of Object.entries(step.env || {})) stepEnv[k] = String(interpolate(String(v ?? ""), ctx) ?? "");
      ctx.env = { ...jobEnv, ...persisted, ...stepEnv };
      const runs = needsImplicitSuccess(step.if) ? ctx.__status === "success" && condition(step.if ?? "true", ctx) : condition(step.if, ctx);
      rec.started_at = Date.now();
      if (!runs || ctx.__status === "timed_out") {
        Object.assign(rec, { status: "completed", conclusion: "skipped", completed_at: Date.now() });
        log(`##[step] ${rec.name}: skipped`);
        continue;
      }
      rec.status = "in_progress";
      log(`##[step] ${rec.name}`);
      const cmd = { env: join(files, `env-${i}`), output: join(files, `output-${i}`), path: join(files, `path-${i}`), summary: join(files, `summary-${i}`), state: join(files, `state-${i}`) };
      for (const f of Object.values(cmd)) writeFileSync(f, "");
      let outcome = "success";
      const outputs = {};
      if (step.run !== undefined) {
        const script = join(files, `step-${i}.sh`);
        writeFileSync(script, asString(String(step.run), ctx));
        const wd = step["working-directory"] ?? job.defaults?.run?.["working-directory"];
        const cwd = wd ? (isAbsolute(asString(wd, ctx)) ? asString(wd, ctx) : join(ws, asString(wd, ctx))) : ws;
        const basePath = this.config.env.PATH ?? process.env.PATH;
        const env = {
          HOME: home, ...this.config.env, ...defaults, ...jobEnv, ...persisted, ...stepEnv,
          GITHUB_ENV: cmd.env, GITHUB_OUTPUT: cmd.output, GITHUB_PATH: cmd.path, GITHUB_STEP_SUMMARY: cmd.summary, GITHUB_STATE: cmd.state,
          GITHUB_ACTION: String(step.id ?? `__run_${i}`),
        };
        env.PATH = [...paths, env.PATH ?? basePath].join(":");
        const code = await this.bash(script, cwd, env, deadline, log);
        outcome = code === 0 ? "success" : code === "timeout" ? "timed_out" : "failure";
        if (code !== 0 && code !== "timeout") log(`##[error]Process completed with exit code ${code}.`);
      } else if (step.uses !== undefined) {
        const uses = String(step.uses);
        const w = {};
        for (const [k, v] of Object.entries(step.with || {})) w[k] = asString(String(v ?? ""), ctx);
        if (/^actions\/checkout@/.test(uses)) {
          const want = w.ref ? resolveRef(repo, w.ref) : run.head_sha;
          if (!want) {
            log(`##[error]actions/checkout: ref ${w.ref} not found in ${full}`);
            outcome = "failure";
          } else if (want !== checkedOut) {
            this.extract(repo, want, ws);
            checkedOut = want;
            log(`checked out ${w.ref} (${want})`);
          } else {
            log(`checked out ${run.ref} (${want})`);
          }
        } else if (/^aws-actions\/configure-aws-credentials@/.test(uses)) {
          if (this.config.aws) {
            Object.assign(persisted, this.config.aws);
            if (w["aws-region"]) Object.assign(persisted, { AWS_REGION: w["aws-region"], AWS_DEFAULT_REGION: w["aws-region"] });
            log(`exported ${Object.keys(this.config.aws).join(", ")} (the fake runner's aws settings)`);
          } else {
            log("the fake runner has no aws settings: nothing exported");
          }
        } else if (/^aws-actions\/amazon-ecr-login@/.test(uses)) {
          outputs.registry = this.config.registry ?? "";
          log(`registry ${outputs.registry || "(none given to the fake runner)"}`);
        } else {
          log(`${uses}: not simulated by the fake runner; skipped`);
        }
      }
      try {
        Object.assign(persisted, parseCommandFile(readFileSync(cmd.env, "utf8")));
        Object.assign(outputs, parseCommandFile(readFileSync(cmd.output, "utf8")));
        paths.unshift(...readFileSync(cmd.path, "utf8").split("\n").filter(Boolean).reverse());
      } catch (e) {
        log(`##[error]${e.message}`);
        if (outcome === "success") outcome = "failure";
      }
      if (step.id !== undefined) ctx.steps[step.id] = { outputs, outcome, conclusion: outcome };
      const failed = outcome !== "success" && !step["continue-on-error"];
      Object.assign(rec, { status: "completed", conclusion: failed ? outcome : "success", completed_at: Date.now() });
      log(`##[step] ${rec.name}: ${rec.conclusion}`);
      if (failed) ctx.__status = outcome === "timed_out" ? "timed_out" : "failure";
      ctx.job.status = ctx.__status;
    }
    return ctx.__status;
  }

  // Runs `script` with bash as GitHub does (bash --noprofile --norc -eo pipefail); its exit
  // code, or "timeout" when the run's deadline passed (the process group is killed).
  bash(script, cwd, env, deadline, log) {
    return new Promise((resolve) => {
      if (!existsSync(cwd)) {
        log(`##[error]working directory ${cwd} does not exist`);
        return resolve(1);
      }
      const child = spawn("bash", ["--noprofile", "--norc", "-eo", "pipefail", script], { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
      this.children.add(child.pid);
      let pending = "";
      const take = (chunk) => {
        pending += chunk.toString();
        const lines = pending.split("\n");
        pending = lines.pop();
        for (const l of lines) log(l);
      };
      child.stdout.on("data", take);
      child.stderr.on("data", take);
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        log(`##[error]The run exceeded its timeout; the step's processes were killed`);
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {}
      }, Math.max(0, deadline - Date.now()));
      child.on("error", (e) => log(`##[error]${e.message}`));
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        this.children.delete(child.pid);
        if (pending) log(pending);
        resolve(timedOut ? "timeout" : code ?? (signal ? 128 : 1));
      });
    });
  }
}
