// odmd-contracts synth: the bin script end to end (tsx, the entry module, odmd validate).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { GOLDEN, PACKAGE_DIR, odmdBin, tempDir } from './helpers';

const BIN = join(PACKAGE_DIR, 'bin/odmd-contracts.mjs');

function cli(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ODMD_BIN: odmdBin() },
  });
}

describe('odmd-contracts synth', () => {
  it('writes the sandbox manifest byte-identical to the golden file', () => {
    const out = join(tempDir(), 'manifest.json');
    const run = cli('synth', '--entry', join(PACKAGE_DIR, 'test/sandbox.ts'), '--out', out);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(readFileSync(out, 'utf8'), readFileSync(GOLDEN, 'utf8'));
    assert.match(run.stdout, /wrote .*manifest\.json: org sandbox 1\.0\.0/);
  });

  it('writes nothing for a bad org and prints every violation with its builder', () => {
    const dir = tempDir();
    const out = join(dir, 'manifest.json');
    writeFileSync(out, 'previous\n');
    const run = cli('synth', '--entry', join(PACKAGE_DIR, 'test/bad-org.ts'), '--out', out);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /violation\(s\) in the contracts of org "bad"; no manifest written/);
    assert.match(run.stderr, /R1 \/builds\/2\/id: .*\[by contracts\.cdkBuild\("svcA"\) at .*bad-org\.ts:13:5\]/);
    assert.match(run.stderr, /R2 .*\[by build\("svcC"\)\.branch\("ma\.\.in"\)/);
    assert.match(run.stderr, /R8 .*cycle without placeholder/);
    assert.equal(readFileSync(out, 'utf8'), 'previous\n');
    assert.deepEqual(readdirSync(dir), ['manifest.json']);
  });

  it('names a missing odmd binary and writes nothing', () => {
    const out = join(tempDir(), 'manifest.json');
    const entry = join(PACKAGE_DIR, 'test/sandbox.ts');
    const run = cli('synth', '--entry', entry, '--out', out, '--odmd', '/nonexistent/odmd');
    assert.equal(run.status, 1);
    assert.match(run.stderr, /odmd binary "\/nonexistent\/odmd" \(from the odmdBin option\)/);
    assert.equal(existsSync(out), false);
  });

  it('prints usage for bad arguments', () => {
    const run = cli('synth', '--out', 'x');
    assert.equal(run.status, 2);
    assert.match(run.stderr, /--entry MODULE is required\nusage: odmd-contracts synth/);
  });
});
