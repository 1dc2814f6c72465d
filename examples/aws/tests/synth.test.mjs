// examples_aws_synth: every app of the AWS example org synthesises offline with the real cdk
// CLI for its main enver and for a clone (b..main-_b..feat1); every template passes cfn-lint;
// the clone's templates differ from main's only in names (stack names and the physical names
// of @odmd/cdk), and every physical name differs. The main synth runs the app's own
// .scripts/build.sh on a copy outside the repo (a checkout, ODMD_CDK_SDK set); the clone's runs
// `cdk synth` in the repo, resolving modules through examples/aws/node_modules. Also type-
// checks the apps (strict tsc). Fails, never skips, without the shared install or cfn-lint.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const org = resolve(here, '..');
const sdk = resolve(org, '../../sdk/cdk');
const modules = join(sdk, 'node_modules');
const cdk = join(modules, '.bin/cdk');
const tsc = join(modules, '.bin/tsc');

const ACCOUNT = '111111111111';
const REGION = 'us-west-1';
const CLONE = 'b..main-_b..feat1';

// What the contracts will declare for each app (the consumers get their placeholders).
const APPS = [
  {
    dir: 'networking',
    build: 'networking',
    stacks: ['networking', 'networking-share-nat'],
    products: ['vpcId', 'vpcCidr', 'natPublicIp'],
    consumers: { logDestination: 'arn:aws:s3:::pending-log-destination' },
  },
  {
    dir: 'logging',
    build: 'logging',
    stacks: ['logging'],
    products: ['logDestination', 'logGroupName'],
    consumers: { vpcId: 'vpc-00000000000000000' },
  },
  {
    dir: 'order-service',
    build: 'orderSvc',
    stacks: ['orderSvc'],
    products: ['ordersBucketName', 'ordersQueueUrl', 'configParameter'],
    consumers: {
      vpcId: 'vpc-0a1b2c3d4e5f60718',
      logDestination: 'arn:aws:s3:::logs-logging-b-main-0a1b2c3d',
    },
  },
];

// The ondemandenv stack name rule (ONDEMANDENV-CONVENTIONS.md): a branch (clone or not) by
// its own value; sanitised.
function stackName(base, rev) {
  const own = rev.slice(rev.lastIndexOf('..') + 2);
  return `${base}--${own}`.replace(/[^A-Za-z0-9]/g, '-');
}

function enverEnv(app, rev) {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME ?? tmpdir(),
    CDK_DISABLE_VERSION_CHECK: '1',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
    CDK_VALIDATION: 'false', // CDK's own template validation (4 s a synth): cfn-lint checks them
    ODMD_build_id: app.build,
    ODMD_rev_ref: rev,
    ODMD_enver_id: `${app.build}/${rev}`,
    ODMD_awsAccount: ACCOUNT,
    ODMD_awsRegion: REGION,
    ODMD_stack_names: app.stacks.map((s) => stackName(s, rev)).join(' '),
    ODMD_products: app.products.join(' '),
  };
  for (const [name, value] of Object.entries(app.consumers)) env[`ODMD_consumer_${name}`] = value;
  return env;
}

async function sh(file, args, options) {
  try {
    return await run(file, args, { maxBuffer: 64 << 20, ...options });
  } catch (err) {
    throw new Error(`${file} ${args.join(' ')} failed:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
}

function templates(outDir, app, rev) {
  return app.stacks.map((s) => {
    const name = stackName(s, rev);
    const file = join(outDir, `${name}.template.json`);
    assert.ok(existsSync(file), `cdk synth wrote no ${file}`);
    return { name, file, json: JSON.parse(readFileSync(file, 'utf8')) };
  });
}

// Physical names of @odmd/cdk: lower case, '-', ending in '-' and 8 hex digits.
const PHYSICAL = /(?<![A-Za-z0-9-])[a-z][a-z0-9-]*-[0-9a-f]{8}(?![A-Za-z0-9-])/g;

// The template's text with the consumed values (the same upstream values for main and the
// clone, some of them another enver's physical names) masked.
function text(json, app) {
  let out = JSON.stringify(json);
  for (const [name, value] of Object.entries(app.consumers))
    out = out.split(value).join(`<${name}>`);
  return out;
}

function names(json, app) {
  return text(json, app).match(PHYSICAL) ?? [];
}

// The template with its stack name (in aws:cdk:path metadata) and physical names masked.
function normalised(json, stack, app) {
  return JSON.parse(text(json, app).split(stack).join('<stack>').replace(PHYSICAL, '<name>'));
}

let work;
const synthesised = new Map();

before(async () => {
  const missing = [cdk, tsc, join(modules, '@odmd/cdk/package.json')].filter((p) => !existsSync(p));
  assert.deepEqual(missing, [], 'the shared install is missing: run scripts/install-deps.sh');
  try {
    await run('cfn-lint', ['--version']);
  } catch {
    assert.fail('cfn-lint is not on PATH (scripts/install-deps.sh documents the AWS tools)');
  }
  work = mkdtempSync(join(tmpdir(), 'odmd-examples-aws-'));
  // Main: the app's build script on a copy (a checkout outside the repo). Clone: cdk synth in
  // the repo. The apps run in parallel, two node processes at a time at most.
  for (const app of APPS) {
    const checkout = join(work, 'checkout', app.dir);
    cpSync(join(org, app.dir), checkout, {
      recursive: true,
      filter: (p) => !p.endsWith('/cdk.out') && !p.endsWith('/node_modules'),
    });
    const cloneOut = join(work, 'clone', app.dir);
    const [, ,] = await Promise.all([
      sh(join(checkout, '.scripts/build.sh'), [], {
        cwd: checkout,
        env: { ...enverEnv(app, 'b..main'), ODMD_CDK_SDK: sdk },
      }),
      sh(cdk, ['synth', '--quiet', '--no-notices', '--output', cloneOut], {
        cwd: join(org, app.dir),
        env: enverEnv(app, CLONE),
      }),
    ]);
    synthesised.set(app.dir, {
      main: templates(join(checkout, 'cdk.out'), app, 'b..main'),
      clone: templates(cloneOut, app, CLONE),
    });
  }
});

after(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe('examples/aws', () => {
  it('type-checks in strict mode', async () => {
    await sh(tsc, ['--noEmit', '-p', join(org, 'tsconfig.json')], { cwd: org });
  });

  for (const app of APPS) {
    describe(app.dir, () => {
      it('passes cfn-lint, main and clone', async () => {
        const { main, clone } = synthesised.get(app.dir);
        await sh(
          'cfn-lint',
          [...main, ...clone].map((t) => t.file),
        );
      });

      it('declares the deploy parameters and carries its products in OdmdProducts', () => {
        const { main } = synthesised.get(app.dir);
        const published = [];
        for (const t of main) {
          for (const p of [
            'odmdBuildId',
            'buildSrcRev',
            'buildSrcRef',
            'buildSrcRepo',
            'odmdDepRev',
          ]) {
            assert.equal(t.json.Parameters?.[p]?.Type, 'String', `${t.name}: parameter ${p}`);
          }
          const out = t.json.Outputs?.OdmdProducts;
          assert.ok(out !== undefined, `${t.name} has no OdmdProducts output`);
          published.push(...JSON.stringify(out.Value).match(/\\"([A-Za-z0-9_.-]+)\\":/g));
        }
        const keys = published.map((k) => k.slice(2, -3)).sort();
        assert.deepEqual(keys, [...app.products].sort());
      });

      it("differs from the clone's templates only in names", () => {
        const { main, clone } = synthesised.get(app.dir);
        assert.deepEqual(
          clone.map((t) => t.name),
          app.stacks.map((s) => stackName(s, CLONE)),
        );
        main.forEach((m, i) => {
          const c = clone[i];
          assert.notEqual(m.name, c.name);
          assert.deepEqual(
            normalised(c.json, c.name, app),
            normalised(m.json, m.name, app),
            `${m.name} vs ${c.name}`,
          );
          const mn = names(m.json, app);
          const cn = names(c.json, app);
          assert.ok(mn.length > 0, `${m.name} uses no physical name`);
          assert.equal(cn.length, mn.length);
          mn.forEach((n, j) => {
            assert.notEqual(cn[j], n, `${m.name}: the clone reuses the physical name ${n}`);
            assert.match(n, /-b-main-[0-9a-f]{8}$/);
            assert.match(cn[j], /-b-main-b-feat1-[0-9a-f]{8}$/);
          });
        });
      });
    });
  }
});
