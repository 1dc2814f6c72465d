// RevRef strings of ondemandenv: `b..<branch>`, `t..<tag>`, a clone `<origin>-_<b|t>..<value>`.

export type RevType = 'b' | 't';

/** A parsed RevRef. `str` is the exact string (the original's `toPathPartStr()`). */
export interface RevRef {
  readonly str: string;
  readonly type: RevType;
  readonly value: string;
  /** The static enver's rev a clone was made from; undefined for a static enver. */
  readonly origin: RevRef | undefined;
}

const SIMPLE = /^([bt])\.\.([A-Za-z0-9_.-]+)$/;

function parseSimple(s: string, whole: string): RevRef {
  const m = SIMPLE.exec(s);
  if (m === null || m[1] === undefined || m[2] === undefined) {
    throw new Error(
      `odmd: rev ${JSON.stringify(whole)} is not "b..<branch>", "t..<tag>" or "<origin>-_<b|t>..<value>"`,
    );
  }
  return { str: s, type: m[1] === 'b' ? 'b' : 't', value: m[2], origin: undefined };
}

/** Parses a RevRef; an Error quoting it when it is malformed. */
export function parseRevRef(s: string): RevRef {
  const cut = s.indexOf('-_');
  if (cut < 0) return parseSimple(s, s);
  const origin = parseSimple(s.slice(0, cut), s);
  const own = parseSimple(s.slice(cut + 2), s);
  return { str: s, type: own.type, value: own.value, origin };
}
