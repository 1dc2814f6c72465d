// Where each declaration was made: the builder call and the caller's file:line:column, so a
// violation the odmd binary reports names the TypeScript that made it.

import { dirname, isAbsolute, relative } from 'node:path';

/** One declaration: the builder call and where it was called from. */
export interface Site {
  /** The builder call, e.g. `contracts.cdkBuild("orderManager")`. */
  readonly builder: string;
  /** Captured lazily: V8 formats the stack only when it is read. */
  readonly trace: { stack?: string };
}

const SRC_DIR = dirname(__filename);

/** Records a declaration made now by `builder`. Cheap: the stack is formatted on demand. */
export function captureSite(builder: string): Site {
  const trace: { stack?: string } = {};
  Error.captureStackTrace(trace, captureSite);
  return { builder, trace };
}

/**
 * "file:line:column" of the first caller outside this package's sources, if any; the file
 * relative to the working directory when it is below it.
 */
export function siteLocation(site: Site): string | undefined {
  const lines = (site.trace.stack ?? '').split('\n').slice(1);
  for (const line of lines) {
    const m = /\(?((?:file:\/\/)?[^\s()]+:\d+:\d+)\)?\s*$/.exec(line.trim());
    if (m === null || m[1] === undefined) continue;
    const where = m[1].replace(/^file:\/\//, '');
    if (where.startsWith(SRC_DIR + '/') || where.startsWith('node:')) continue;
    const rel = isAbsolute(where) ? relative(process.cwd(), where) : where;
    return rel.startsWith('..') ? where : rel;
  }
  return undefined;
}

const sites = new WeakMap<object, Site>();

export function recordSite(node: object, site: Site): void {
  sites.set(node, site);
}

export function siteOf(node: object): Site | undefined {
  return sites.get(node);
}
