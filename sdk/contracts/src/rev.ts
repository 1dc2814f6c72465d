// Revs and the enver context of service code: the original's SRC_Rev_REF, and finding the
// declared enver a build script runs for from ODMD_build_id and ODMD_rev_ref.

import type { Contracts, Enver } from './contracts';
import type { RevType } from './types';

/** A rev "b..<branch>", "t..<tag>" or a clone "<origin>-_<b|t>..<value>" (SRC_Rev_REF). */
export class SrcRevRef {
  readonly type: RevType;
  readonly value: string;
  /** The static rev a clone was made from; undefined for a static rev. */
  readonly origin: SrcRevRef | undefined;

  constructor(type: RevType, value: string, origin: SrcRevRef | undefined = undefined) {
    this.type = type;
    this.value = value;
    this.origin = origin;
  }

  /** The rev text, e.g. "b..main" or "b..main-_b..feat1" (the original's name). */
  toPathPartStr(): string {
    const own = `${this.type}..${this.value}`;
    return this.origin === undefined ? own : `${this.origin.toPathPartStr()}-_${own}`;
  }
  toString(): string {
    return this.toPathPartStr();
  }
  /** The static rev: the origin of a clone, this rev otherwise. */
  get originRev(): SrcRevRef {
    return this.origin ?? this;
  }

  /** Parses a rev's text; an Error quoting it when it has no "b.." or "t.." form. */
  static parse(text: string): SrcRevRef {
    const cut = text.indexOf('-_');
    if (cut < 0) return parseSegment(text, text);
    return new SrcRevRef(
      parseSegment(text.slice(cut + 2), text).type,
      parseSegment(text.slice(cut + 2), text).value,
      parseSegment(text.slice(0, cut), text),
    );
  }
}

function parseSegment(s: string, whole: string): SrcRevRef {
  const m = /^([bt])\.\.(.+)$/.exec(s);
  if (m === null || m[1] === undefined || m[2] === undefined) {
    throw new Error(
      `rev ${JSON.stringify(whole)} is not "b..<branch>", "t..<tag>" or "<origin>-_<b|t>..<value>"`,
    );
  }
  return new SrcRevRef(m[1] === 'b' ? 'b' : 't', m[2]);
}

/**
 * The declared enver a build script runs for: ODMD_build_id and ODMD_rev_ref from `env`;
 * for a clone, the enver it was cloned from. An Error naming the variable or the enver
 * that is missing.
 */
export function enverFromEnv(
  contracts: Contracts,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Enver<RevType> {
  const buildId = env['ODMD_build_id'];
  const revText = env['ODMD_rev_ref'];
  if (buildId === undefined || buildId === '') throw new Error('ODMD_build_id is not set');
  if (revText === undefined || revText === '') throw new Error('ODMD_rev_ref is not set');
  const rev = SrcRevRef.parse(revText).originRev.toPathPartStr();
  const enver = contracts.findEnver(`${buildId}/${rev}`);
  if (enver === undefined) {
    throw new Error(
      `no enver ${buildId}/${rev} in the contracts of org ${JSON.stringify(contracts.name)} ` +
        `(ODMD_build_id=${buildId}, ODMD_rev_ref=${revText})`,
    );
  }
  return enver;
}
