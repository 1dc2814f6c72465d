// The rules that are types: tsc must reject each fixture in test/compile-fail/ on the line
// marked "EXPECT: <fragment of the error>", and accept control_ok.ts. One tsc run checks
// them all, with the package's own compiler options.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PACKAGE_DIR } from './helpers';

const FIXTURES = join(PACKAGE_DIR, 'test/compile-fail');
const TSC = join(PACKAGE_DIR, 'node_modules/typescript/bin/tsc');

interface Diagnostic {
  file: string;
  line: number;
  text: string;
}

function compileFixtures(): Diagnostic[] {
  const config = join(FIXTURES, 'tsconfig.json');
  const run = spawnSync(process.execPath, [TSC, '--noEmit', '--pretty', 'false', '-p', config], {
    encoding: 'utf8',
  });
  assert.equal(run.error, undefined);
  const diagnostics: Diagnostic[] = [];
  for (const line of run.stdout.split('\n')) {
    if (!line.includes('error TS')) continue;
    const m = /^(.*?)\((\d+),\d+\): error (.*)$/.exec(line);
    assert.ok(m !== null, `tsc failed outside the fixtures: ${run.stdout}`);
    diagnostics.push({ file: m[1]!.split('/').pop()!, line: Number(m[2]), text: m[3]! });
  }
  return diagnostics;
}

function expectations(): Map<string, { line: number; fragment: string }> {
  const out = new Map<string, { line: number; fragment: string }>();
  for (const file of readdirSync(FIXTURES).filter((f) => f.endsWith('.ts'))) {
    readFileSync(join(FIXTURES, file), 'utf8')
      .split('\n')
      .forEach((text, i) => {
        const m = /\/\/ EXPECT: (.*)$/.exec(text);
        if (m !== null) out.set(file, { line: i + 1, fragment: m[1]! });
      });
  }
  return out;
}

describe('compile-fail fixtures', () => {
  const diagnostics = compileFixtures();
  const expected = expectations();

  it('has the three fixtures and the control', () => {
    assert.deepEqual([...expected.keys()].sort(), [
      'contracts_consumes.ts',
      'image_consumes.ts',
      'tag_consumes_branch.ts',
    ]);
  });

  it('compiles the control and the shared file without an error', () => {
    const clean = diagnostics.filter((d) => d.file === 'control_ok.ts' || d.file === 'common.ts');
    assert.deepEqual(clean, []);
  });

  for (const [file, want] of expectations()) {
    it(`rejects ${file} on line ${want.line} (${want.fragment})`, () => {
      const got = diagnostics.filter((d) => d.file === file);
      assert.equal(got.length, 1, `tsc must reject ${file} exactly once; it said: ${JSON.stringify(got)}`);
      assert.equal(got[0]!.line, want.line);
      assert.ok(got[0]!.text.includes(want.fragment), got[0]!.text);
    });
  }
});
