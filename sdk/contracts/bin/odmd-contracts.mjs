#!/usr/bin/env node
// odmd-contracts: runs src/cli.ts through tsx (the package ships TypeScript sources).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
let tsx;
try {
  tsx = import.meta.resolve('tsx');
} catch {
  console.error('odmd-contracts: tsx is not installed (npm install --save-dev tsx)');
  process.exit(1);
}
const run = spawnSync(process.execPath, ['--import', tsx, cli, ...process.argv.slice(2)], {
  stdio: 'inherit',
});
process.exit(run.status ?? 1);
