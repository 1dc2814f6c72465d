// Checking contracts with the odmd binary: `odmd validate - --json` reads the manifest text
// on stdin and reports every rule violation with its rule id and JSON Pointer. The rules
// live in one place (odmd's C++ model); this file only maps each violation's path back to
// the builder call that declared the node.
//
// The manifest reader stops at problems it finds while reading (a rev that does not parse,
// rule R2; a version that is not semver, M4) and runs the contract rules only on a document
// without them. So that one run reports every violation at once, a second `odmd validate`
// runs on the same org with the envers of bad revs (and the consumers naming them) left
// out and a stand-in version; its violations are added, at their paths in the full document.

import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { canonicalize, originOf, writeCanonicalManifest } from './manifest';
import { siteLocation, siteOf } from './sites';
import type { OrgData } from './types';

export interface ValidateOptions {
  /** The odmd binary; default $ODMD_BIN, then `odmd` on PATH. */
  odmdBin?: string;
}

/** One broken rule, as `odmd validate` reports it, plus the TypeScript that made it. */
export interface Violation {
  /** Stable rule id: "R1".."R12", or "M1".."M6" for manifest reading. */
  readonly rule: string;
  /** JSON Pointer into the canonical manifest synth() writes. */
  readonly path: string;
  /** The object named by ids, e.g. `enver "svcA/b..main": consumer "vpc"`. */
  readonly subject: string;
  readonly value: string;
  readonly message: string;
  /** The builder call that declared the offending node, e.g. `contracts.cdkBuild("svcA")`. */
  readonly builder: string;
  /** Where that call was made, "file:line:column", when known. */
  readonly at: string | undefined;
  /** One line: `R1 /builds/2/id: build "x": duplicate build id ... [by contracts.cdkBuild("x") at f.ts:3:5]`. */
  readonly text: string;
}

/** Thrown by synth() when the contracts break rules: every violation, nothing written. */
export class ContractsError extends Error {
  readonly violations: readonly Violation[];

  constructor(org: string, violations: readonly Violation[]) {
    super(
      `${violations.length} violation(s) in the contracts of org ${JSON.stringify(org)}; ` +
        `no manifest written:\n${violations.map((v) => '  ' + v.text).join('\n')}`,
    );
    this.name = 'ContractsError';
    this.violations = violations;
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The odmd binary: the option, $ODMD_BIN, or `odmd` on PATH; an Error naming what is missing. */
export function findOdmd(options: ValidateOptions = {}): string {
  const explicit = options.odmdBin ?? process.env['ODMD_BIN'];
  if (explicit !== undefined && explicit !== '') {
    if (isExecutable(explicit)) return explicit;
    const from = options.odmdBin !== undefined ? 'the odmdBin option' : 'ODMD_BIN';
    throw new Error(`odmd binary ${JSON.stringify(explicit)} (from ${from}) is not an executable file`);
  }
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir !== '' && isExecutable(join(dir, 'odmd'))) return join(dir, 'odmd');
  }
  throw new Error(
    'the odmd binary is needed to check the contracts: pass odmdBin, set ODMD_BIN, or put odmd on PATH',
  );
}

interface RawViolation {
  rule: string;
  path: string;
  subject: string;
  value: string;
  message: string;
}

function isRawViolation(v: unknown): v is RawViolation {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return ['rule', 'path', 'subject', 'value', 'message'].every((k) => typeof r[k] === 'string');
}

/** Runs `odmd validate - --json` on `text`; the violations it reports (none: valid). */
export function runOdmdValidate(bin: string, text: string): RawViolation[] {
  const run = spawnSync(bin, ['validate', '-', '--json'], {
    input: text,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  if (run.error !== undefined) throw new Error(`cannot run ${bin}: ${run.error.message}`);
  let reply: unknown;
  try {
    reply = JSON.parse(run.stdout);
  } catch {
    throw new Error(
      `${bin} validate gave no JSON reply (exit ${run.status}): ${run.stderr.trim() || run.stdout.trim()}`,
    );
  }
  const r = reply as { ok?: unknown; violations?: unknown; error?: { message?: unknown } };
  if (r.ok === true && run.status === 0) return [];
  if (!Array.isArray(r.violations) || !r.violations.every(isRawViolation)) {
    throw new Error(`${bin} validate failed: ${String(r.error?.message ?? run.stderr)}`);
  }
  return r.violations;
}

/** JSON Pointer of each build, enver, account, product and consumer node of `canonical`. */
function nodePaths(canonical: OrgData): Map<object, string> {
  const paths = new Map<object, string>();
  canonical.accounts.forEach((a, i) => paths.set(a, `/accounts/${i}`));
  canonical.builds.forEach((b, i) => {
    paths.set(originOf(b), `/builds/${i}`);
    b.envers.forEach((e, j) => {
      const at = `/builds/${i}/envers/${j}`;
      paths.set(originOf(e), at);
      e.products.forEach((p, k) => paths.set(p, `${at}/products/${k}`));
      e.consumers.forEach((c, k) => paths.set(c, `${at}/consumers/${k}`));
    });
  });
  return paths;
}

function invert(paths: Map<object, string>): Map<string, object> {
  const nodes = new Map<string, object>();
  for (const [node, path] of paths) nodes.set(path, node);
  return nodes;
}

/** The deepest declared node containing `path`, and the rest of the path below it. */
function nodeAt(nodes: Map<string, object>, path: string): { node?: object; rest: string } {
  for (let cut = path.length; cut > 0; cut = path.lastIndexOf('/', cut - 1)) {
    const node = nodes.get(path.slice(0, cut));
    if (node !== undefined) return { node, rest: path.slice(cut) };
  }
  return { rest: path };
}

// The second run's org: each enver whose rev did not parse gets a stand-in rev (and the
// consumers naming it follow), a version that is not semver a stand-in version. `names`
// maps each stand-in back to the text the author wrote, for the messages.
interface Rest {
  org: OrgData;
  names: Map<string, string>;
}

function withoutReadProblems(
  org: OrgData,
  found: readonly RawViolation[],
  nodes: Map<string, object>,
): Rest | undefined {
  const badEnvers = new Set<object>();
  let badVersion = false;
  for (const v of found) {
    if (v.rule === 'R2' && v.path.endsWith('/rev')) {
      const { node } = nodeAt(nodes, v.path.slice(0, -'/rev'.length));
      if (node === undefined) return undefined;
      badEnvers.add(node);
    } else if (v.rule === 'M4' && v.path === '/version') {
      badVersion = true;
    } else {
      return undefined;
    }
  }
  const names = new Map<string, string>();
  const producers = new Map<string, string>();
  const builds = org.builds.map((b) => {
    const envers = b.envers.map((e) => {
      if (!badEnvers.has(e)) return e;
      const standIn = `${e.rev.startsWith('t..') ? 't' : 'b'}..odmdStandInRev${names.size}`;
      names.set(standIn, e.rev);
      producers.set(`${b.id}/${e.rev}`, `${b.id}/${standIn}`);
      const copy = { ...e, rev: standIn };
      restOrigins.set(copy, e);
      return copy;
    });
    const copy = { ...b, envers };
    restOrigins.set(copy, b);
    return copy;
  });
  for (const b of builds) {
    b.envers = b.envers.map((e) => {
      if (!e.consumers.some((c) => producers.has(c.producer))) return e;
      const consumers = e.consumers.map((c) => {
        const producer = producers.get(c.producer);
        if (producer === undefined) return c;
        const copy = { ...c, producer };
        restOrigins.set(copy, c);
        return copy;
      });
      const copy = { ...e, consumers };
      restOrigins.set(copy, restOrigins.get(e) ?? e);
      return copy;
    });
  }
  return { org: { ...org, version: badVersion ? '0.0.0' : org.version, builds }, names };
}

// A node of the second run's org -> the declared node it stands for.
const restOrigins = new WeakMap<object, object>();

function declared(node: object): object {
  const origin = originOf(node);
  return restOrigins.get(origin) ?? origin;
}

function restoreNames(v: RawViolation, names: Map<string, string>): RawViolation {
  const restore = (text: string): string => {
    let out = text;
    for (const [standIn, rev] of names) out = out.split(standIn).join(rev);
    return out;
  };
  return {
    ...v,
    subject: restore(v.subject),
    value: restore(v.value),
    message: restore(v.message),
  };
}

function withSite(v: RawViolation, path: string, node: object | undefined, root: object): Violation {
  const site = siteOf(node ?? root) ?? siteOf(root);
  const builder = site?.builder ?? 'new Contracts(...)';
  const at = site === undefined ? undefined : siteLocation(site);
  const subject = v.subject === '' ? '' : `${v.subject}: `;
  const by = at === undefined ? builder : `${builder} at ${at}`;
  const text = `${v.rule} ${path}: ${subject}${v.message} [by ${by}]`;
  return { ...v, path, builder, at, text };
}

/** Every violation of the rules in `org`, from the odmd binary, with the builder of each. */
export function validateOrg(org: OrgData, options: ValidateOptions = {}): Violation[] {
  return check(org, options).violations;
}

function check(org: OrgData, options: ValidateOptions): { text: string; violations: Violation[] } {
  const bin = findOdmd(options);
  const canonical = canonicalize(org);
  const text = writeCanonicalManifest(canonical);
  const paths = nodePaths(canonical);
  const nodes = invert(paths);
  const found = runOdmdValidate(bin, text);
  const violations = found.map((v) => {
    const { node } = nodeAt(nodes, v.path);
    return withSite(v, v.path, node, org);
  });
  const rest = found.length === 0 ? undefined : withoutReadProblems(org, found, nodes);
  if (rest !== undefined) violations.push(...checkRest(rest, org, paths, bin));
  return { text, violations };
}

// The second run (see the top of the file); paths are rewritten into the full document.
function checkRest(rest: Rest, org: OrgData, full: Map<object, string>, bin: string): Violation[] {
  const canonical = canonicalize(rest.org);
  const restNodes = new Map<string, object>();
  canonical.accounts.forEach((a, i) => restNodes.set(`/accounts/${i}`, a));
  canonical.builds.forEach((b, i) => {
    restNodes.set(`/builds/${i}`, declared(b));
    b.envers.forEach((e, j) => {
      const at = `/builds/${i}/envers/${j}`;
      restNodes.set(at, declared(e));
      e.products.forEach((p, k) => restNodes.set(`${at}/products/${k}`, p));
      e.consumers.forEach((c, k) => restNodes.set(`${at}/consumers/${k}`, declared(c)));
    });
  });
  const found = runOdmdValidate(bin, writeCanonicalManifest(canonical, false));
  return found.map((raw) => {
    const v = restoreNames(raw, rest.names);
    const { node, rest: below } = nodeAt(restNodes, v.path);
    const base = node === undefined ? undefined : full.get(node);
    return withSite(v, base === undefined ? v.path : base + below, node, org);
  });
}

/** The canonical manifest of `org` once odmd validate accepts it; ContractsError otherwise. */
export function synthManifest(org: OrgData, options: ValidateOptions = {}): string {
  const { text, violations } = check(org, options);
  if (violations.length > 0) throw new ContractsError(org.name, violations);
  return text;
}
