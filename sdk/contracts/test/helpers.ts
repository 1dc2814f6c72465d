// Shared by the tests: the odmd binary and paths. Tests never skip: without the binary they
// fail naming what is missing.

import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const PACKAGE_DIR = resolve(__dirname, '..');
export const REPO_DIR = resolve(PACKAGE_DIR, '../..');
export const GOLDEN = join(REPO_DIR, 'examples/sandbox/manifest.golden.json');

/** $ODMD_BIN (CTest passes the built odmd); an Error naming it when it is not there. */
export function odmdBin(): string {
  const bin = process.env['ODMD_BIN'];
  if (bin === undefined || !existsSync(bin)) {
    throw new Error(
      `ODMD_BIN must name the built odmd binary (got ${JSON.stringify(bin)}); ` +
        'run through CTest (sdk_contracts) or set ODMD_BIN=build/apps/odmd/odmd',
    );
  }
  return bin;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'odmd-contracts-test-'));
}
