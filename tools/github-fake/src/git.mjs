// A repository's git objects with real git ids (SHA-1 of "<type> <size>\0<body>"), so the
// blob sha the contents API answers is the one `git hash-object` would print.
import { createHash } from "node:crypto";

const hash = (type, body) =>
  createHash("sha1").update(Buffer.concat([Buffer.from(`${type} ${body.length}\0`), body])).digest("hex");

export class GitObjects {
  constructor() {
    this.objects = new Map(); // sha -> {type, ...}
  }

  get(sha, type) {
    const o = this.objects.get(sha);
    return o && (!type || o.type === type) ? o : null;
  }

  putBlob(content /* Buffer */) {
    const sha = hash("blob", content);
    this.objects.set(sha, { type: "blob", sha, content });
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
    const sha = hash("tree", body);
    this.objects.set(sha, { type: "tree", sha, entries: sorted });
    return sha;
  }

  putCommit({ tree, parents, message, author, committer }) {
    const who = (p) => `${p.name} <${p.email}> ${Math.floor(Date.parse(p.date) / 1000)} +0000`;
    const text = [`tree ${tree}`, ...parents.map((p) => `parent ${p}`), `author ${who(author)}`, `committer ${who(committer)}`, "", message].join("\n");
    const sha = hash("commit", Buffer.from(text));
    this.objects.set(sha, { type: "commit", sha, tree, parents, message, author, committer });
    return sha;
  }

  // path -> {mode, type, sha} of every blob under the tree `sha`.
  flatten(sha, prefix = "", out = new Map()) {
    for (const e of this.get(sha, "tree").entries) {
      const path = prefix + e.name;
      if (e.type === "tree") this.flatten(e.sha, `${path}/`, out);
      else out.set(path, { mode: e.mode, type: e.type, sha: e.sha });
    }
    return out;
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
}
