// GitHub's response objects, shaped as the OpenAPI description requires (the validator
// checks every one the fake sends).
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
export { iso };

export function user(base, login, id, type = "Organization") {
  const u = `${base}/users/${encodeURIComponent(login)}`;
  return {
    login, id, node_id: `U_${id}`, avatar_url: `https://avatars.example.invalid/u/${id}`, gravatar_id: "",
    url: u, html_url: `https://github.example.invalid/${encodeURIComponent(login)}`, followers_url: `${u}/followers`,
    following_url: `${u}/following{/other_user}`, gists_url: `${u}/gists{/gist_id}`,
    starred_url: `${u}/starred{/owner}{/repo}`, subscriptions_url: `${u}/subscriptions`,
    organizations_url: `${u}/orgs`, repos_url: `${u}/repos`, events_url: `${u}/events{/privacy}`,
    received_events_url: `${u}/received_events`, type, site_admin: false,
  };
}

const REPO_URLS = {
  archive_url: "/{archive_format}{/ref}", assignees_url: "/assignees{/user}", blobs_url: "/git/blobs{/sha}",
  branches_url: "/branches{/branch}", collaborators_url: "/collaborators{/collaborator}",
  comments_url: "/comments{/number}", commits_url: "/commits{/sha}", compare_url: "/compare/{base}...{head}",
  contents_url: "/contents/{+path}", contributors_url: "/contributors", deployments_url: "/deployments",
  downloads_url: "/downloads", events_url: "/events", forks_url: "/forks", git_commits_url: "/git/commits{/sha}",
  git_refs_url: "/git/refs{/sha}", git_tags_url: "/git/tags{/sha}", hooks_url: "/hooks",
  issue_comment_url: "/issues/comments{/number}", issue_events_url: "/issues/events{/number}",
  issues_url: "/issues{/number}", keys_url: "/keys{/key_id}", labels_url: "/labels{/name}",
  languages_url: "/languages", merges_url: "/merges", milestones_url: "/milestones{/number}",
  notifications_url: "/notifications{?since,all,participating}", pulls_url: "/pulls{/number}",
  releases_url: "/releases{/id}", stargazers_url: "/stargazers", statuses_url: "/statuses/{sha}",
  subscribers_url: "/subscribers", subscription_url: "/subscription", tags_url: "/tags",
  teams_url: "/teams", trees_url: "/git/trees{/sha}",
};

export function minimalRepository(base, repo) {
  const url = `${base}/repos/${repo.owner}/${repo.name}`;
  const out = {
    id: repo.id, node_id: `R_${repo.id}`, name: repo.name, full_name: `${repo.owner}/${repo.name}`,
    owner: user(base, repo.owner, repo.owner_id), private: true, description: null, fork: false, url,
    html_url: `https://github.example.invalid/${repo.owner}/${repo.name}`, default_branch: repo.default_branch,
  };
  for (const [k, v] of Object.entries(REPO_URLS)) out[k] = url + v;
  return out;
}

// GET /repos/{o}/{r} (full-repository): what GitHub answers about a repository the app can see.
export function fullRepository(base, repo) {
  const out = minimalRepository(base, repo);
  const host = "github.example.invalid";
  return {
    ...out, clone_url: `https://${host}/${repo.owner}/${repo.name}.git`, git_url: `git://${host}/${repo.owner}/${repo.name}.git`,
    ssh_url: `git@${host}:${repo.owner}/${repo.name}.git`, svn_url: `https://${host}/${repo.owner}/${repo.name}`,
    mirror_url: null, homepage: null, language: null, forks: 0, forks_count: 0, has_issues: true, has_projects: false,
    has_wiki: false, has_pages: false, has_discussions: false, archived: false, disabled: false, open_issues: 0,
    open_issues_count: 0, license: null, pushed_at: iso(0), size: 0, stargazers_count: 0, watchers: 0, watchers_count: 0,
    created_at: iso(0), updated_at: iso(0), network_count: 0, subscribers_count: 0,
  };
}

export function integration(base, app) {
  return {
    id: app.id, slug: "odmd-test-app", client_id: "Iv1.0000000000000000", node_id: `A_${app.id}`,
    owner: user(base, "odmd-test", 1), name: "odmd test app", description: null,
    external_url: "https://odmd.example.invalid", html_url: "https://github.example.invalid/apps/odmd-test-app",
    created_at: iso(0), updated_at: iso(0), permissions: { contents: "write", actions: "write", secrets: "write", workflows: "write", metadata: "read" },
    events: ["push", "workflow_run", "workflow_job"],
  };
}

export function installation(base, app, inst) {
  return {
    id: inst.id, app_id: app.id, app_slug: "odmd-test-app", target_id: inst.account_id, target_type: "Organization",
    account: user(base, inst.account, inst.account_id), single_file_name: null, repository_selection: "selected",
    access_tokens_url: `${base}/app/installations/${inst.id}/access_tokens`,
    repositories_url: `${base}/installation/repositories`,
    html_url: `https://github.example.invalid/organizations/${inst.account}/settings/installations/${inst.id}`,
    events: ["push", "workflow_run", "workflow_job"], permissions: inst.permissions,
    created_at: iso(0), updated_at: iso(0), suspended_by: null, suspended_at: null,
  };
}

export function gitRef(base, repo, ref, sha) {
  const url = `${base}/repos/${repo.owner}/${repo.name}`;
  return {
    ref, node_id: `REF_${Buffer.from(ref).toString("base64")}`, url: `${url}/git/${ref}`,
    object: { type: "commit", sha, url: `${url}/git/commits/${sha}` },
  };
}

export function gitCommit(base, repo, c) {
  const url = `${base}/repos/${repo.owner}/${repo.name}`;
  return {
    sha: c.sha, node_id: `C_${c.sha}`, url: `${url}/git/commits/${c.sha}`,
    html_url: `https://github.example.invalid/${repo.owner}/${repo.name}/commit/${c.sha}`,
    author: c.author, committer: c.committer, message: c.message,
    tree: { sha: c.tree, url: `${url}/git/trees/${c.tree}` },
    parents: c.parents.map((p) => ({ sha: p, url: `${url}/git/commits/${p}`, html_url: `https://github.example.invalid/${repo.owner}/${repo.name}/commit/${p}` })),
    verification: { verified: false, reason: "unsigned", signature: null, payload: null, verified_at: null },
  };
}

export function gitTree(base, repo, sha, entries) {
  const url = `${base}/repos/${repo.owner}/${repo.name}`;
  return {
    sha, url: `${url}/git/trees/${sha}`, truncated: false,
    tree: entries.map((e) => ({ path: e.path, mode: e.mode, type: e.type, sha: e.sha, ...(e.size !== undefined ? { size: e.size } : {}),
      url: `${url}/git/${e.type === "tree" ? "trees" : "blobs"}/${e.sha}` })),
  };
}

export function contentFile(base, repo, path, ref, blob) {
  const url = `${base}/repos/${repo.owner}/${repo.name}`;
  const self = `${url}/contents/${path}?ref=${encodeURIComponent(ref)}`;
  const html = `https://github.example.invalid/${repo.owner}/${repo.name}/blob/${ref}/${path}`;
  const git = `${url}/git/blobs/${blob.sha}`;
  const b64 = blob.content.toString("base64").replace(/(.{60})/g, "$1\n");
  return {
    type: "file", encoding: "base64", size: blob.content.length, name: path.split("/").pop(), path,
    content: b64, sha: blob.sha, url: self, git_url: git, html_url: html,
    download_url: `https://raw.example.invalid/${repo.owner}/${repo.name}/${ref}/${path}`,
    _links: { self, git, html },
  };
}

export function workflowRun(base, repo, run, headCommit) {
  const url = `${base}/repos/${repo.owner}/${repo.name}/actions/runs/${run.id}`;
  const mr = minimalRepository(base, repo);
  return {
    id: run.id, name: run.name, node_id: `WFR_${run.id}`, head_branch: run.head_branch, head_sha: run.head_sha,
    path: run.path, display_title: run.display_title, run_number: run.run_number, run_attempt: 1,
    event: run.event, status: run.status, conclusion: run.conclusion, workflow_id: run.workflow_id,
    check_suite_id: run.id + 500000, check_suite_node_id: `CS_${run.id}`,
    url, html_url: `https://github.example.invalid/${repo.owner}/${repo.name}/actions/runs/${run.id}`,
    pull_requests: [], created_at: iso(run.created_at), updated_at: iso(run.updated_at),
    run_started_at: iso(run.created_at), actor: user(base, "odmd-test-app[bot]", 2, "Bot"),
    triggering_actor: user(base, "odmd-test-app[bot]", 2, "Bot"),
    jobs_url: `${url}/jobs`, logs_url: `${url}/logs`,
    check_suite_url: `${base}/repos/${repo.owner}/${repo.name}/check-suites/${run.id + 500000}`,
    artifacts_url: `${url}/artifacts`, cancel_url: `${url}/cancel`, rerun_url: `${url}/rerun`,
    previous_attempt_url: null, workflow_url: `${base}/repos/${repo.owner}/${repo.name}/actions/workflows/${run.workflow_id}`,
    head_commit: {
      id: headCommit.sha, tree_id: headCommit.tree, message: headCommit.message, timestamp: headCommit.committer.date,
      author: { name: headCommit.author.name, email: headCommit.author.email },
      committer: { name: headCommit.committer.name, email: headCommit.committer.email },
    },
    repository: mr, head_repository: mr, head_repository_id: repo.id,
  };
}
