// Webhook deliveries as GitHub sends them to an app: the real example payloads of
// @octokit/webhooks-examples (push, workflow_run, workflow_job) with only ids, names, shas,
// urls, refs, timestamps and the installation adapted to the fake's state; signed with the
// app's webhook secret (X-Hub-Signature-256); delivered asynchronously, in order per
// repository, and recorded (GET /__fake/deliveries).
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { ZERO_SHA } from "./git.mjs";
import { runBody } from "./github.mjs";
import * as O from "./objects.mjs";

const require = createRequire(import.meta.url);
const EXAMPLES = require("@octokit/webhooks-examples/api.github.com/index.json");
const HOOK_ID = 424242;
const USER_AGENT = `GitHub-Hookshot/${randomBytes(4).toString("hex").slice(0, 7)}`;

// The example of `event` (with `action`, and having an installation when one does).
function example(event, pick) {
  const all = EXAMPLES.find((e) => e.name === event).examples;
  const found = all.find(pick) || all[0];
  return structuredClone(found);
}

const WEB = "https://github.example.invalid";

function repository(gh, repo, original) {
  const mr = O.minimalRepository(gh.base, repo);
  const out = { ...original };
  for (const k of Object.keys(out)) if (k in mr) out[k] = mr[k];
  Object.assign(out, {
    id: repo.id, node_id: mr.node_id, name: repo.name, full_name: `${repo.owner}/${repo.name}`, owner: { ...original.owner, ...mr.owner },
    html_url: mr.html_url, url: mr.url, default_branch: repo.default_branch, private: true,
    git_url: `git://github.example.invalid/${repo.owner}/${repo.name}.git`, ssh_url: `git@github.example.invalid:${repo.owner}/${repo.name}.git`,
    clone_url: repo.git.gitDir, svn_url: mr.html_url,
  });
  if ("master_branch" in out) out.master_branch = repo.default_branch;
  return out;
}

const installation = (repo) => ({ id: repo.installation, node_id: `I_${repo.installation}` });
const sender = (gh, original) => ({ ...original, ...O.user(gh.base, "odmd-test-app[bot]", 2, "Bot") });

function commitEntry(repo, sha) {
  const c = repo.git.get(sha, "commit");
  return {
    id: sha, tree_id: c.tree, distinct: true, message: c.message, timestamp: c.committer.date,
    url: `${WEB}/${repo.owner}/${repo.name}/commit/${sha}`,
    author: { name: c.author.name, email: c.author.email }, committer: { name: c.committer.name, email: c.committer.email },
    added: [], removed: [], modified: [],
  };
}

export function pushPayload(gh, repo, ref, before, after) {
  const p = example("push", (x) => x.installation && x.head_commit);
  const created = before === ZERO_SHA;
  const deleted = after === ZERO_SHA;
  Object.assign(p, {
    ref, before, after, created, deleted, forced: !created && !deleted && repo.git.commitsBetween(after, before, 1).length > 0,
    base_ref: null, compare: `${WEB}/${repo.owner}/${repo.name}/compare/${before.slice(0, 12)}...${after.slice(0, 12)}`,
    commits: deleted ? [] : repo.git.commitsBetween(before, after).map((s) => commitEntry(repo, s)),
    head_commit: deleted ? null : commitEntry(repo, after),
    repository: repository(gh, repo, p.repository), pusher: { name: "odmd-test-app[bot]", email: null },
    sender: sender(gh, p.sender), installation: installation(repo),
  });
  delete p.organization;
  return p;
}

export function workflowRunPayload(gh, repo, run, action) {
  const p = example("workflow_run", (x) => x.action === action);
  const body = runBody(gh, repo, run);
  const wfUrl = `${gh.base}/repos/${repo.owner}/${repo.name}/actions/workflows/${run.workflow_id}`;
  p.action = action;
  p.workflow_run = { ...p.workflow_run, ...body, repository: repository(gh, repo, p.workflow_run.repository), head_repository: repository(gh, repo, p.workflow_run.head_repository) };
  p.workflow = {
    ...p.workflow, id: run.workflow_id, node_id: `W_${run.workflow_id}`, name: run.name, path: run.path, url: wfUrl,
    html_url: `${WEB}/${repo.owner}/${repo.name}/blob/${repo.default_branch}/${run.path}`,
    badge_url: `${WEB}/${repo.owner}/${repo.name}/workflows/${encodeURIComponent(run.name)}/badge.svg`,
  };
  p.repository = repository(gh, repo, p.repository);
  p.sender = sender(gh, p.sender);
  p.installation = installation(repo);
  delete p.organization;
  return p;
}

export function workflowJobPayload(gh, repo, run, action) {
  const p = example("workflow_job", (x) => x.action === action);
  const job = run.job;
  const runUrl = `${gh.base}/repos/${repo.owner}/${repo.name}/actions/runs/${run.id}`;
  p.action = action;
  p.workflow_job = {
    ...p.workflow_job, id: job.id, run_id: run.id, run_url: runUrl, run_attempt: 1, node_id: `J_${job.id}`,
    head_sha: run.head_sha, head_branch: run.head_branch, url: `${gh.base}/repos/${repo.owner}/${repo.name}/actions/jobs/${job.id}`,
    html_url: `${WEB}/${repo.owner}/${repo.name}/actions/runs/${run.id}/job/${job.id}`, status: job.status,
    conclusion: job.conclusion, created_at: O.iso(run.created_at), started_at: O.iso(job.started_at || run.created_at),
    completed_at: job.completed_at ? O.iso(job.completed_at) : null, name: job.name,
    steps: job.steps.map((s, i) => ({ name: s.name, status: s.status, conclusion: s.conclusion, number: i + 1,
      started_at: s.started_at ? O.iso(s.started_at) : null, completed_at: s.completed_at ? O.iso(s.completed_at) : null })),
    check_run_url: `${gh.base}/repos/${repo.owner}/${repo.name}/check-runs/${job.id}`, workflow_name: run.name,
    ...(job.status === "queued" ? { runner_id: null, runner_name: null, runner_group_id: null, runner_group_name: null } : {}),
  };
  p.repository = repository(gh, repo, p.repository);
  p.sender = sender(gh, p.sender);
  p.installation = installation(repo);
  delete p.organization;
  return p;
}

export class Webhooks {
  constructor() {
    this.url = null;
    this.secret = "";
    this.paused = false;
    this.deliveries = []; // [{id, event, action, repo, status, dropped, error}]
    this.queues = new Map(); // "o/r" -> the promise of its last delivery
  }

  configure({ url, secret, paused }) {
    if (url !== undefined) this.url = url;
    if (secret !== undefined) this.secret = secret;
    if (paused !== undefined) this.paused = Boolean(paused);
  }

  // Queues one delivery of `event` for `repo`; nothing when no receiver is set.
  send(repo, event, payload, appId) {
    if (!this.url) return;
    const full = `${repo.owner}/${repo.name}`;
    const d = { id: randomUUID(), event, action: payload.action ?? null, repo: full, status: null, dropped: this.paused };
    this.deliveries.push(d);
    if (d.dropped) return;
    const body = JSON.stringify(payload);
    const headers = {
      "content-type": "application/json", "user-agent": USER_AGENT, "x-github-event": event, "x-github-delivery": d.id,
      "x-github-hook-id": String(HOOK_ID), "x-github-hook-installation-target-type": "integration",
      "x-github-hook-installation-target-id": String(appId ?? ""),
      "x-hub-signature-256": `sha256=${createHmac("sha256", this.secret).update(body).digest("hex")}`,
    };
    const url = this.url;
    const previous = this.queues.get(full) || Promise.resolve();
    const next = previous.then(async () => {
      try {
        const res = await fetch(url, { method: "POST", headers, body, signal: AbortSignal.timeout(10000) });
        await res.arrayBuffer();
        d.status = res.status;
      } catch (e) {
        d.status = 0;
        d.error = String(e.cause || e);
      }
    });
    this.queues.set(full, next);
  }
}
