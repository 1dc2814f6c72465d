// Derived names: stack names (the ondemandenv rule) and per-enver physical resource names.
import { createHash } from 'node:crypto';

/**
 * The original's `OdmdEnverCdk.SANITIZE_STACK_NAME`: every non-alphanumeric character
 * becomes '-', then a leading '-' becomes 'A' and a trailing '-' becomes 'Z'.
 */
export function sanitizeStackName(name: string): string {
  let out = name.replace(/[^A-Za-z0-9]/g, '-');
  if (out.startsWith('-')) out = 'A' + out.slice(1);
  if (out.endsWith('-')) out = out.slice(0, -1) + 'Z';
  return out;
}

export interface PhysicalNameOptions {
  /** Longest name allowed (default 63: S3 buckets, and within SQS, SSM, IAM, Lambda limits). */
  readonly maxLength?: number;
  /** Keep upper case letters (default false: lower case, which S3 requires). */
  readonly preserveCase?: boolean;
}

export const DEFAULT_PHYSICAL_NAME_MAX = 63;
const HASH_LENGTH = 8;
const MIN_MAX_LENGTH = 24;
const BASE = /^[A-Za-z][A-Za-z0-9-]*$/;

function readable(part: string, preserveCase: boolean): string {
  const cased = preserveCase ? part : part.toLowerCase();
  return cased.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
}

/**
 * `<base>-<build>-<rev>-<hash>`: `base` (a letter, then letters, digits, '-'), the build id and
 * the rev with every run of other characters turned into one '-' (lower case unless
 * preserveCase), cut so the whole fits maxLength, then '-' and the first 8 hex digits of
 * sha256("<build>/<rev>/<base>"). The hash makes the name unique per enver even when the
 * readable part is cut or two revs sanitize alike; a clone's rev differs from its origin's, so
 * its names differ. Deterministic: same inputs, same name.
 */
export function physicalName(
  buildId: string,
  rev: string,
  base: string,
  options: PhysicalNameOptions = {},
): string {
  if (!BASE.test(base)) {
    throw new Error(
      `odmd: physical name base ${JSON.stringify(base)} must start with a letter and hold only letters, digits and '-'`,
    );
  }
  const max = options.maxLength ?? DEFAULT_PHYSICAL_NAME_MAX;
  if (!Number.isInteger(max) || max < MIN_MAX_LENGTH) {
    throw new Error(`odmd: physical name maxLength ${max} is below ${MIN_MAX_LENGTH}`);
  }
  const preserveCase = options.preserveCase ?? false;
  const hash = createHash('sha256')
    .update(`${buildId}/${rev}/${base}`)
    .digest('hex')
    .slice(0, HASH_LENGTH);
  const head = [base, buildId, rev]
    .map((p) => readable(p, preserveCase))
    .filter((p) => p !== '')
    .join('-');
  const room = max - HASH_LENGTH - 1;
  const cut = head.slice(0, room).replace(/-+$/, '');
  return `${cut}-${hash}`;
}
