// Fails, naming what is missing, when the npm install of sdk/contracts or the odmd binary
// the tests run is not there. The tests never skip: run scripts/install-deps.sh and build
// odmd first (CTest's sdk_contracts passes ODMD_BIN).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const needed = [
  'node_modules/.bin/tsc',
  'node_modules/.bin/tsx',
  'node_modules/@types/node/package.json',
  'node_modules/@odmd/contracts/package.json',
];
const missing = needed.filter((p) => !existsSync(join(root, p)));
if (missing.length > 0) {
  console.error(
    `sdk/contracts: the npm install is missing (${missing.map((p) => join(root, p)).join(', ')}); ` +
      'run scripts/install-deps.sh (it runs npm ci --prefix sdk/contracts)',
  );
  process.exit(1);
}
const bin = process.env.ODMD_BIN;
if (bin === undefined || !existsSync(bin)) {
  console.error(
    `sdk/contracts: ODMD_BIN must name the built odmd binary (got ${JSON.stringify(bin)}); ` +
      'CTest (sdk_contracts) passes it, or set ODMD_BIN=build/apps/odmd/odmd',
  );
  process.exit(1);
}
