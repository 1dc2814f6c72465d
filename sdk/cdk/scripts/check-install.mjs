// Fails, naming what is missing, when the shared install of sdk/cdk is not there. The tests
// never skip: a machine without it runs scripts/install-deps.sh first.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const needed = [
  'node_modules/aws-cdk-lib/package.json',
  'node_modules/constructs/package.json',
  'node_modules/.bin/cdk',
  'node_modules/.bin/tsc',
  'node_modules/.bin/tsx',
  'node_modules/@odmd/cdk/package.json',
];
const missing = needed.filter((p) => !existsSync(join(root, p)));
if (missing.length > 0) {
  console.error(
    `sdk/cdk: the shared npm install is missing (${missing.map((p) => join(root, p)).join(', ')}); ` +
      'run scripts/install-deps.sh (it runs npm ci --prefix sdk/cdk)',
  );
  process.exit(1);
}
