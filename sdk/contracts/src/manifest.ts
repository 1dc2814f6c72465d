// The canonical manifest text, byte for byte what odmd's C++ writer produces
// (libs/model/src/manifest_write.cc): canonical order, the documented key order, nlohmann's
// dump(2) layout, a final newline, and the digest "sha256:<hex>" over the text without its
// digest line spliced in after "version".

import { createHash } from 'node:crypto';
import type { BuildData, ConfigObject, ConfigValue, ConsumerData, EnverData, OrgData } from './types';

/** The value of the manifest's "schema" field. */
export const MANIFEST_SCHEMA = 'odmd.manifest/v1';

/**
 * Orders two strings by their UTF-8 bytes, as std::string's operator< does. UTF-16 code
 * unit order agrees with it except between a surrogate (a code point above U+FFFF) and a
 * code unit in U+E000..U+FFFF.
 */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; ++i) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const sx = x >= 0xd800 && x <= 0xdfff;
    const sy = y >= 0xd800 && y <= 0xdfff;
    if (sx !== sy) return sx ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

function byName<T extends { name: string }>(items: readonly T[]): T[] {
  return [...items].sort((x, y) => compareUtf8(x.name, y.name));
}

const origins = new WeakMap<object, object>();

/** The declared build or enver a node of canonicalize()'s result copies; `node` otherwise. */
export function originOf<T extends object>(node: T): T {
  return (origins.get(node) as T | undefined) ?? node;
}

function canonicalEnver(buildId: string, e: EnverData): EnverData {
  const defaultStacks = e.stacks.length === 1 && e.stacks[0] === buildId;
  const copy: EnverData = {
    ...e,
    stacks: defaultStacks ? [] : e.stacks,
    products: byName(e.products),
    consumers: byName(e.consumers),
  };
  origins.set(copy, e);
  return copy;
}

function canonicalBuild(b: BuildData): BuildData {
  const envers = [...b.envers].sort((x, y) => compareUtf8(x.rev, y.rev));
  const copy: BuildData = { ...b, envers: envers.map((e) => canonicalEnver(b.id, e)) };
  origins.set(copy, b);
  return copy;
}

/**
 * A canonical copy of `org` (the C++ Canonicalize): accounts by name, builds by id, envers
 * by rev, products and consumers by name; stable, so duplicates keep declaration order. An
 * enver's stacks keep their order; a stack list that is exactly [build id] becomes empty.
 * Builds and envers are copies (originOf() gives the declared object back); accounts,
 * products and consumers are the declared objects.
 */
export function canonicalize(org: OrgData): OrgData {
  const builds = [...org.builds].sort((x, y) => compareUtf8(x.id, y.id));
  return { ...org, accounts: byName(org.accounts), builds: builds.map(canonicalBuild) };
}

const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function escapeChar(c: number): string {
  switch (c) {
    case 0x22:
      return '\\"';
    case 0x5c:
      return '\\\\';
    case 0x08:
      return '\\b';
    case 0x0c:
      return '\\f';
    case 0x0a:
      return '\\n';
    case 0x0d:
      return '\\r';
    case 0x09:
      return '\\t';
    default:
      return '\\u00' + c.toString(16).padStart(2, '0');
  }
}

/**
 * `s` as a JSON string the way the C++ writer escapes: '"' and '\\', control characters
 * as \b \f \n \r \t or \u00xx (lowercase hex), everything else (DEL, non-ASCII) raw. A
 * lone surrogate, which has no UTF-8 form, becomes U+FFFD, as invalid UTF-8 does there.
 */
export function jsonString(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return '"' + s + '"';
  let out = '"';
  for (let i = 0; i < s.length; ++i) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out += s[i]! + s[i + 1]!;
        ++i;
        continue;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) out += '\ufffd';
    else if (c < 0x20 || c === 0x22 || c === 0x5c) out += escapeChar(c);
    else out += s[i]!;
  }
  return out + '"';
}

/** Writes nested objects and arrays in nlohmann's dump(2) layout, like the C++ Writer. */
class Writer {
  private out = '';
  private depth = 0;
  private first = true;
  private indent = '';

  /** The document's outer object. */
  beginRoot(): void {
    this.open('{');
  }
  /** An object member `key`, or an array element when `key` is null. */
  beginObject(key: string | null = null): void {
    this.key(key);
    this.open('{');
  }
  endObject(): void {
    this.close('}');
  }
  /** Begins the array member `key`; an empty one is written as "[]" and returns false. */
  beginArray(key: string | null, size: number): boolean {
    this.key(key);
    if (size === 0) {
      this.out += '[]';
      return false;
    }
    this.open('[');
    return true;
  }
  endArray(): void {
    this.close(']');
  }
  string(key: string | null, value: string): void {
    this.key(key);
    this.out += jsonString(value);
  }
  raw(key: string | null, text: string): void {
    this.key(key);
    this.out += text;
  }
  take(): string {
    return this.out + '\n';
  }

  private key(key: string | null): void {
    this.out += (this.first ? '\n' : ',\n') + this.indent;
    this.first = false;
    if (key !== null) this.out += jsonString(key) + ': ';
  }
  private open(c: string): void {
    this.out += c;
    ++this.depth;
    this.indent = '  '.repeat(this.depth);
    this.first = true;
  }
  private close(c: string): void {
    --this.depth;
    this.indent = '  '.repeat(this.depth);
    this.out += '\n' + this.indent + c;
    this.first = false;
  }
}

function integerText(n: number | bigint, what: string): string {
  if (typeof n === 'bigint') return n.toString();
  if (!Number.isSafeInteger(n)) throw new RangeError(`${what} ${n} is not an integer`);
  return String(n);
}

/**
 * A config number as nlohmann's dump() writes the number it reads back: integers as such
 * (only safe ones: a larger one would not read back the same), others in JavaScript's
 * shortest form with a two-digit exponent (1e-07).
 */
function configNumber(n: number, what: string): string {
  if (!Number.isFinite(n)) throw new RangeError(`${what}: ${n} is not a JSON number`);
  if (Number.isInteger(n)) return integerText(n, what);
  return String(n).replace(/e([+-])(\d)$/, 'e$10$2');
}

/** A config value in the nlohmann dump(2) layout, keys in UTF-8 byte order at every level. */
function writeConfigValue(w: Writer, key: string | null, v: ConfigValue, what: string): void {
  if (v === null) return w.raw(key, 'null');
  if (typeof v === 'boolean') return w.raw(key, v ? 'true' : 'false');
  if (typeof v === 'number') return w.raw(key, configNumber(v, what));
  if (typeof v === 'string') return w.string(key, v);
  if (Array.isArray(v)) {
    if (!w.beginArray(key, v.length)) return;
    v.forEach((item, i) => writeConfigValue(w, null, item, `${what}/${i}`));
    return w.endArray();
  }
  const keys = Object.keys(v).sort(compareUtf8);
  if (keys.length === 0) return w.raw(key, '{}');
  w.beginObject(key);
  for (const k of keys) writeConfigValue(w, k, v[k]!, `${what}/${k}`);
  w.endObject();
}

/** The member "config", omitted when there is none or it is {} (the C++ canonical form). */
function writeConfig(w: Writer, config: ConfigObject | undefined, what: string): void {
  if (config === undefined || Object.keys(config).length === 0) return;
  writeConfigValue(w, 'config', config, what);
}

function writeConsumer(w: Writer, c: ConsumerData): void {
  w.beginObject();
  w.string('name', c.name);
  w.string('producer', c.producer);
  w.string('product', c.product);
  if (c.placeholder !== undefined) w.string('placeholder', c.placeholder);
  w.string('reaction', c.reaction);
  w.endObject();
}

function writeEnver(w: Writer, e: EnverData): void {
  w.beginObject();
  w.string('rev', e.rev);
  w.string('account', e.account);
  w.string('region', e.region);
  w.string('buildScript', e.buildScript);
  w.string('workDir', e.workDir);
  w.raw('ephemeral', e.ephemeral ? 'true' : 'false');
  w.raw('cloneLimit', integerText(e.cloneLimit, `enver ${e.rev}: cloneLimit`));
  w.raw('overwriteWorkflow', e.overwriteWorkflow ? 'true' : 'false');
  // Doc paths only when declared, as the C++ writer (manifests without them keep their digest).
  if (e.enverContextMd !== undefined) w.string('enverContextMd', e.enverContextMd);
  if (e.stacks.length > 0 && w.beginArray('stacks', e.stacks.length)) {
    for (const s of e.stacks) w.string(null, s);
    w.endArray();
  }
  writeConfig(w, e.config, `enver ${e.rev}: config`);
  if (w.beginArray('products', e.products.length)) {
    for (const p of e.products) {
      w.beginObject();
      w.string('name', p.name);
      w.endObject();
    }
    w.endArray();
  }
  const inherits = e.inheritsConsumers === true && e.consumers.length === 0;
  if (!inherits && w.beginArray('consumers', e.consumers.length)) {
    for (const c of e.consumers) writeConsumer(w, c);
    w.endArray();
  }
  w.endObject();
}

function writeBuild(w: Writer, b: BuildData): void {
  w.beginObject();
  w.string('id', b.id);
  w.string('kind', b.kind);
  w.beginObject('repo');
  w.string('owner', b.repo.owner);
  w.string('name', b.repo.name);
  w.raw('installationId', integerText(b.repo.installationId, `build ${b.id}: installationId`));
  w.endObject();
  if (b.serviceOverviewMd !== undefined) w.string('serviceOverviewMd', b.serviceOverviewMd);
  if (b.serviceContextMd !== undefined) w.string('serviceContextMd', b.serviceContextMd);
  writeConfig(w, b.config, `build ${b.id}: config`);
  if (w.beginArray('envers', b.envers.length)) {
    for (const e of b.envers) writeEnver(w, e);
    w.endArray();
  }
  w.endObject();
}

/** The text of an already canonical org without its digest: what the digest is over. */
function textWithoutDigest(canonical: OrgData): string {
  const w = new Writer();
  w.beginRoot();
  w.string('schema', MANIFEST_SCHEMA);
  w.string('org', canonical.name);
  w.string('version', canonical.version);
  w.string('centralAccount', canonical.centralAccount);
  if (w.beginArray('accounts', canonical.accounts.length)) {
    for (const a of canonical.accounts) {
      w.beginObject();
      w.string('name', a.name);
      w.string('id', a.id);
      w.endObject();
    }
    w.endArray();
  }
  if (w.beginArray('builds', canonical.builds.length)) {
    for (const b of canonical.builds) writeBuild(w, b);
    w.endArray();
  }
  w.endObject();
  return w.take();
}

/** "sha256:<hex>" of the UTF-8 bytes of `text`. */
export function digestOf(text: string): string {
  return 'sha256:' + createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The canonical manifest of an already canonical org (see canonicalize). */
export function writeCanonicalManifest(canonical: OrgData, withDigest = true): string {
  const text = textWithoutDigest(canonical);
  if (!withDigest) return text;
  // The digest line goes after the fourth line ("{", schema, org, version): a JSON string
  // never holds a raw newline.
  let offset = 0;
  for (let line = 0; line < 4; ++line) offset = text.indexOf('\n', offset) + 1;
  const member = `  "digest": "${digestOf(text)}",\n`;
  return text.slice(0, offset) + member + text.slice(offset);
}

/** The canonical manifest text of `org`, byte for byte what odmd's WriteManifest gives. */
export function writeManifest(org: OrgData): string {
  return writeCanonicalManifest(canonicalize(org));
}

/** "sha256:<hex>" over the canonical manifest of `org` without its digest. */
export function manifestDigest(org: OrgData): string {
  return digestOf(textWithoutDigest(canonicalize(org)));
}
