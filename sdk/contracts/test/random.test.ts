// Random orgs with awkward strings (control characters, quotes, non-ASCII, characters above
// U+FFFF, orders that differ between UTF-16 and UTF-8) in every free-text field, declared in
// random order: odmd validate recomputes each manifest's digest with the C++ writer over
// what it read, so any byte the TypeScript writer gets wrong is an M5 (or M1) violation.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Contracts, type Reaction } from '@odmd/contracts';
import { runOdmdValidate } from '../src/validate';
import { odmdBin } from './helpers';

const ALPHABET = ['a', 'Z', '0', '_', '-', '.', '"', '\\', '\n', '\t', '\u0001', '\u001f', '\u007f',
  '\u00e9', '\u2028', '\uff21', '\ue000', '\u{1f600}', '\u{10ffff}', ' ', '/', '{'];
const REACTIONS: Reaction[] = ['redeploy', 'notify', 'ignore'];

// xorshift32: the same orgs on every run.
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

function randomOrg(seed: number): Contracts {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const text = (n: number) => Array.from({ length: 1 + Math.floor(r() * n) }, () => pick(ALPHABET)).join('');
  const c = new Contracts(text(6), `1.${seed}.0`);
  const accounts = Array.from({ length: 3 }, (_, i) => c.account(`acct${i}${text(3)}`, '123456789012'));
  const products = [];
  for (let b = 0; b < 6; ++b) {
    const build = c.cdkBuild(`b${Math.floor(r() * 1000)}`, c.repo(text(5), text(5), Math.floor(r() * 1e9)));
    for (let e = 0; e < 3; ++e) {
      const enver = build.branch(`br${e}${Math.floor(r() * 100)}`, pick(accounts), text(4));
      enver.buildScript(text(8)).workDir(text(4)).cloneLimit(Math.floor(r() * 50)).ephemeral(r() < 0.5);
      for (let p = 0; p < 3; ++p) products.push(enver.produces(text(6)));
      for (let k = 0; k < 3 && products.length > 0; ++k) {
        const consumer = enver.consumes(text(6), pick(products)).onChange(pick(REACTIONS));
        if (r() < 0.3) consumer.placeholder(text(10));
      }
    }
  }
  return c;
}

describe('random orgs', () => {
  it('are written byte for byte as the C++ writer writes them (no M-violation from odmd)', () => {
    const bin = odmdBin();
    for (let seed = 1; seed <= 25; ++seed) {
      const text = randomOrg(seed).manifest();
      const readProblems = runOdmdValidate(bin, text).filter((v) => v.rule.startsWith('M'));
      assert.deepEqual(readProblems, [], `seed ${seed}`);
    }
  });
});
