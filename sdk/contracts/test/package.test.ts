// The per-org package `odmd gen package` generates: tsc compiles it and a service file
// using it, rejects an unknown consumer, and its values agree with its types.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { GOLDEN, PACKAGE_DIR, odmdBin, tempDir } from './helpers';

const TSC = join(PACKAGE_DIR, 'node_modules/typescript/bin/tsc');

const SERVICE = `import { builds, coffeeShopFoundation, coffeeShopOrderManager, org } from './pkg';
const eventBus = coffeeShopOrderManager.main.consumers.eventBus;
const producer: 'coffeeShopFoundation/b..main' = eventBus.producer;
const reaction: 'notify' = coffeeShopOrderManager.main.consumers.clusterEndpoint.reaction;
const path: '/odmd-share/coffeeShopFoundation/b..main/eventBusArn' =
  coffeeShopFoundation.main.products.eventBusArn.path;
const release: 't..v1.0.0' = coffeeShopOrderManager['v1.0.0'].rev;
const version: '1.0.0' = org.version;
const placeholder: 'arn:aws:s3:::odmd-placeholder-central-log-bucket' =
  builds.networking.main.consumers.logBucket.placeholder;
export const used = [producer, reaction, path, release, version, placeholder];
`;

const UNKNOWN_CONSUMER = `import { coffeeShopOrderManager } from './pkg';
export const c = coffeeShopOrderManager.main.consumers.inventoryApi;
`;

function generate(dir: string): void {
  const run = spawnSync(odmdBin(), ['gen', 'package', GOLDEN, '--out', join(dir, 'pkg')], {
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, run.stderr);
}

function tsc(dir: string, files: string[]): string {
  const config = {
    compilerOptions: {
      target: 'ES2022',
      module: 'commonjs',
      strict: true,
      noEmit: true,
      noUnusedLocals: true,
      exactOptionalPropertyTypes: true,
      types: [],
    },
    files,
  };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(config));
  const run = spawnSync(process.execPath, [TSC, '--pretty', 'false', '-p', dir], {
    encoding: 'utf8',
    cwd: dir,
  });
  return run.stdout + run.stderr;
}

describe('odmd gen package', () => {
  const dir = tempDir();
  generate(dir);
  writeFileSync(join(dir, 'service.ts'), SERVICE);
  writeFileSync(join(dir, 'unknown.ts'), UNKNOWN_CONSUMER);
  const output = tsc(dir, ['pkg/index.d.ts', 'service.ts', 'unknown.ts']);
  const errors = output.split('\n').filter((l) => l.includes('error TS'));

  it('compiles, with a service file using its typed objects', () => {
    assert.deepEqual(errors.filter((l) => !l.startsWith('unknown.ts')), []);
  });

  it('rejects a consumer that does not exist', () => {
    assert.equal(errors.length, 1, output);
    assert.match(errors[0]!, /^unknown\.ts\(2,\d+\): error TS2339: Property 'inventoryApi' does not exist/);
  });

  it('has the manifest version and values that agree with its types', () => {
    const pkg = JSON.parse(readFileSync(join(dir, 'pkg/package.json'), 'utf8')) as { version: string };
    const manifest = JSON.parse(readFileSync(GOLDEN, 'utf8')) as { version: string; digest: string };
    assert.equal(pkg.version, manifest.version);
    const values = require(join(dir, 'pkg/index.js')) as Record<string, any>;
    assert.equal(values['org'].digest, manifest.digest);
    const eventBus = values['coffeeShopOrderManager'].main.consumers.eventBus;
    assert.deepEqual(eventBus, {
      enverId: 'coffeeShopOrderManager/b..main',
      name: 'eventBus',
      producer: 'coffeeShopFoundation/b..main',
      product: 'eventBusArn',
      reaction: 'redeploy',
      placeholder: null,
    });
    assert.equal(values['builds']['odmd-contracts-sandbox'], values['odmdContractsSandbox']);
    assert.equal(values['coffeeShopOrderManager']['v1.0.0'].accountId, '366920167720');
    assert.ok(Object.isFrozen(values['coffeeShopOrderManager'].main.consumers));
  });

  it('names a bad --name and writes nothing', () => {
    const out = join(tempDir(), 'pkg');
    const run = spawnSync(odmdBin(), ['gen', 'package', GOLDEN, '--out', out, '--name', 'Bad Name'], {
      encoding: 'utf8',
    });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /package name "Bad Name" is not an npm package name/);
    assert.equal(existsSync(out), false);
  });
});
