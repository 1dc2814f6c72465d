// A repository's git objects and refs, kept in a real bare git repository on disk (the
// `git` CLI writes and reads them), so the ids are real (`git hash-object` would print the
// blob sha the contents API answers) and a test may `git push` into, or clone from, the
// repository's git_dir.
import { createHash } from "node:crypto";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";

export const ZERO_SHA = "0".repeat(40);
const SHA = /^[0-9a-f]{40}$/;
const GIT_ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null", GIT_TERMINAL_PROMPT: "0" };

const hash = (type, body) =>
  createHash("sha1").update(Buffer.concat([Buffer.from(`${type} ${body.length}\0`), body])).digest("hex");

const iso = (seconds) => new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");

export class GitObjects {
  // Creates the bare repository `gitDir` (default branch main) when it does not exist.
  constructor(gitDir) {
    this.gitDir = gitDir;
    this.cache = new Map(); // sha -> {type, ...}: objects never change
    mkdirSync(gitDir, { recursive: true });
    this.git(["init", "--quiet", "--bare", "--initial-branch=main"]);
    this.refs = new GitRefs(this);
  }

  // Runs git on the repository; its stdout (a Buffer). Throws on failure.
  git(args, input) {
    return execFileSync("git", ["--git-dir", this.gitDir, ...args], { input, env: GIT_ENV, stdio: ["pipe", "pipe", "pipe"], maxBuffer: 1 << 28 });
  }

  // Like git() but null when git fails (a missing object or ref).
  tryGit(args) {
    const r = spawnSync("git", ["--git-dir", this.gitDir, ...args], { env: GIT_ENV, maxBuffer: 1 << 28 });
    return r.status === 0 ? r.stdout : null;
  }

  write(type, body) {
    const sha = hash(type, body);
    if (!this.cache.has(sha)) {
      const out = this.git(["hash-object", "-t", type, "-w", "--stdin"], body).toString().trim();
      if (out !== sha) throw new Error(`git stored ${type} as ${out}, expected ${sha}`);
    }
    return sha;
  }

  get(sha, type) {
    if (typeof sha !== "string" || !SHA.test(sha)) return null;
    let o = this.cache.get(sha);
    if (!o) {
      o = this.read(sha);
      if (!o) return null;
      this.cache.set(sha, o);
    }
    return !type || o.type === type ? o : null;
  }

  // An object written by someone else (a `git push`), parsed as the fake keeps its own.
  read(sha) {
    const t = this.tryGit(["cat-file", "-t", sha]);
    if (!t) return null;
    const type = t.toString().trim();
    if (type === "blob") return { type, sha, content: this.git(["cat-file", "blob", sha]) };
    if (type === "tree") return { type, sha, entries: this.lsTree(sha, false) };
    if (type !== "commit") return { type, sha };
    const text = this.git(["cat-file", "commit", sha]).toString();
    const blank = text.indexOf("\n\n");
    const head = text.slice(0, blank < 0 ? text.length : blank).split("\n");
    const c = { type, sha, tree: null, parents: [], message: blank < 0 ? "" : text.slice(blank + 2) };
    for (const line of head) {
      const sp = line.indexOf(" ");
      const key = line.slice(0, sp);
      const value = line.slice(sp + 1);
      if (key === "tree") c.tree = value;
      if (key === "parent") c.parents.push(value);
      if (key === "author" || key === "committer") {
        const m = /^(.*) <(.*)> (\d+) [+-]\d{4}$/.exec(value);
        c[key] = m ? { name: m[1], email: m[2], date: iso(Number(m[3])) } : { name: value, email: "", date: iso(0) };
      }
    }
    return c;
  }

  // Entries of a tree: [{name, mode, type, sha}], or with `recursive` every blob's full path.
  lsTree(sha, recursive) {
    const out = this.git(["ls-tree", "-z", ...(recursive ? ["-r"] : []), sha]).toString();
    return out.split("\0").filter(Boolean).map((line) => {
      const tab = line.indexOf("\t");
      const [mode, type, id] = line.slice(0, tab).split(" ");
      return { name: line.slice(tab + 1), mode, type, sha: id };
    });
  }

  putBlob(content /* Buffer */) {
    const sha = this.write("blob", content);
    this.cache.set(sha, { type: "blob", sha, content });
    return sha;
  }

  // entries: [{name, mode, type, sha}] of one directory.
  putTree(entries) {
    const sorted = [...entries].sort((a, b) => {
      const ka = a.type === "tree" ? `${a.name}/` : a.name;
      const kb = b.type === "tree" ? `${b.name}/` : b.name;
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    });
    const body = Buffer.concat(
      sorted.map((e) => Buffer.concat([Buffer.from(`${e.mode.replace(/^0/, "")} ${e.name}\0`), Buffer.from(e.sha, "hex")])),
    );
    const sha = this.write("tree", body);
    this.cache.set(sha, { type: "tree", sha, entries: sorted.map(({ name, mode, type, sha: s }) => ({ name, mode, type, sha: s })) });
    return sha;
  }

  putCommit({ tree, parents, message, author, committer }) {
    const who = (p) => `${p.name} <${p.email}> ${Math.floor(Date.parse(p.date) / 1000)} +0000`;
    const text = [`tree ${tree}`, ...parents.map((p) => `parent ${p}`), `author ${who(author)}`, `committer ${who(committer)}`, "", message].join("\n");
    const sha = this.write("commit", Buffer.from(text));
    this.cache.set(sha, { type: "commit", sha, tree, parents, message, author, committer });
    return sha;
  }

  // path -> {mode, type, sha} of every blob under the tree `sha`.
  // A new Map each time (callers change it); trees never change, so the listing is cached.
  flatten(sha) {
    if (!this.flat) this.flat = new Map();
    let listing = this.flat.get(sha);
    if (!listing) {
      listing = this.lsTree(sha, true).map((e) => [e.name, { mode: e.mode, type: e.type, sha: e.sha }]);
      this.flat.set(sha, listing);
    }
    return new Map(listing.map(([path, e]) => [path, { ...e }]));
  }

  // Builds nested trees from path -> {mode, type, sha}; returns the root tree's sha.
  build(files) {
    const dirs = new Map(); // name -> Map
    const here = [];
    for (const [path, e] of files) {
      const slash = path.indexOf("/");
      if (slash < 0) {
        here.push({ name: path, ...e });
        continue;
      }
      const dir = path.slice(0, slash);
      if (!dirs.has(dir)) dirs.set(dir, new Map());
      dirs.get(dir).set(path.slice(slash + 1), e);
    }
    for (const [name, sub] of dirs) here.push({ name, mode: "040000", type: "tree", sha: this.build(sub) });
    return this.putTree(here);
  }

  // The blob at `path` in commit `commit`, or null.
  fileAt(commit, path) {
    const c = this.get(commit, "commit");
    if (!c) return null;
    const e = this.flatten(c.tree).get(path);
    return e ? this.get(e.sha, "blob") : null;
  }

  // Whether git takes `ref` as a ref name (no "..", no "~^:", ...).
  validRefName(ref) {
    return spawnSync("git", ["check-ref-format", ref], { env: GIT_ENV }).status === 0;
  }

  // Commits reachable from `to` and not from `from` (oldest first), at most `max`.
  commitsBetween(from, to, max = 20) {
    if (!to || to === ZERO_SHA) return [];
    const range = from && from !== ZERO_SHA && this.get(from, "commit") ? [`${from}..${to}`] : [to];
    const out = this.tryGit(["rev-list", "--reverse", `--max-count=${max}`, ...range]);
    return out ? out.toString().split("\n").filter(Boolean) : [];
  }
}

// The refs of the repository, read from git every time (a `git push` may change them), with
// the part of Map's interface the handlers use.
export class GitRefs {
  constructor(git) {
    this.g = git;
  }

  get(ref) {
    if (!/^refs\/\S+$/.test(ref)) return undefined;
    const out = this.g.tryGit(["show-ref", "--verify", "--hash", "--", ref]);
    return out ? out.toString().trim() : undefined;
  }

  has(ref) {
    return this.get(ref) !== undefined;
  }

  set(ref, sha) {
    this.g.git(["update-ref", ref, sha]);
    return this;
  }

  delete(ref) {
    this.g.git(["update-ref", "-d", ref]);
  }

  entries() {
    const out = this.g.git(["for-each-ref", "--format=%(refname) %(objectname)"]).toString();
    return out.split("\n").filter(Boolean).map((l) => l.split(" "));
  }

  [Symbol.iterator]() {
    return this.entries()[Symbol.iterator]();
  }
}
