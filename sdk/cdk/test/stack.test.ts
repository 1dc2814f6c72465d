import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { DEPLOY_PARAMETER_NAMES, OdmdEnver, OdmdStack, PRODUCTS_OUTPUT_KEY } from '../src/index';
import { enverEnv } from './fixtures';

// cdk's built-in template validation costs seconds a synth; these tests check templates
// themselves.
const NO_VALIDATION = { builtinCloudFormationValidation: false };

interface Json {
  readonly [key: string]: unknown;
}

function templateOf(stack: OdmdStack): Json {
  return Template.fromStack(stack).toJSON() as Json;
}

function section(t: Json, name: string): Json {
  const s = t[name];
  assert.ok(typeof s === 'object' && s !== null, `template has no ${name}`);
  return s as Json;
}

function outputValue(t: Json, key: string): unknown {
  const out = section(t, 'Outputs')[key];
  assert.ok(typeof out === 'object' && out !== null, `template has no output ${key}`);
  return (out as Json)['Value'];
}

function newStack(index = 0, env = enverEnv()): { app: App; stack: OdmdStack; enver: OdmdEnver } {
  const enver = new OdmdEnver(env);
  const app = new App(NO_VALIDATION);
  return { app, enver, stack: new OdmdStack(app, enver.stackName(index), { enver }) };
}

describe('OdmdStack', () => {
  it('declares the original deploy parameters, String with a default', () => {
    const { stack } = newStack();
    const params = section(templateOf(stack), 'Parameters');
    for (const name of [
      'odmdBuildId',
      'buildSrcRev',
      'buildSrcRef',
      'buildSrcRepo',
      'odmdDepRev',
    ]) {
      assert.deepEqual(
        { Type: (params[name] as Json)['Type'], Default: (params[name] as Json)['Default'] },
        { Type: 'String', Default: '' },
        name,
      );
    }
    assert.deepEqual(
      [...DEPLOY_PARAMETER_NAMES].sort(),
      Object.keys(params)
        .filter((k) => k !== 'BootstrapVersion')
        .sort(),
    );
  });

  it("takes the enver's account and region and its stack name", () => {
    const { stack } = newStack(1);
    assert.equal(stack.stackName, 'orderSvc-share-nat--main');
    assert.equal(stack.account, '111111111111');
    assert.equal(stack.region, 'us-east-1');
  });

  it("refuses a stack that is not one of the enver's stacks", () => {
    const enver = new OdmdEnver(enverEnv());
    assert.throws(
      () => new OdmdStack(new App(NO_VALIDATION), 'K8sManifestStack', { enver }),
      /stack "K8sManifestStack" is not one of enver orderSvc\/b\.\.main's stacks \(ODMD_stack_names="orderSvc--main orderSvc-share-nat--main"\)/,
    );
  });

  it("publishes a product named by the generated package's object", () => {
    const { stack } = newStack();
    stack.publish({ enverId: 'orderSvc/b..main', name: 'region' }, 'us-east-1');
    assert.deepEqual(
      JSON.parse(outputValue(templateOf(stack), PRODUCTS_OUTPUT_KEY) as string),
      { region: 'us-east-1' },
    );
    assert.throws(
      () => stack.publish({ enverId: 'billing/b..main', name: 'queueUrl' }, 'x'),
      /product "queueUrl" of enver billing\/b\.\.main is not one of enver orderSvc\/b\.\.main/,
    );
  });

  it('carries a synth-time value out through OdmdProducts', () => {
    const { stack } = newStack();
    stack.publish('region', 'us-east-1');
    const value = outputValue(templateOf(stack), PRODUCTS_OUTPUT_KEY);
    assert.equal(typeof value, 'string');
    assert.deepEqual(JSON.parse(value as string), { region: 'us-east-1' });
  });

  it('carries a deploy-time token out through the same output', () => {
    const { stack, enver } = newStack();
    const bucket = new Bucket(stack, 'Orders', { bucketName: enver.physicalName('orders') });
    stack.publishAll({ bucketName: bucket.bucketName, region: 'us-east-1' });
    const t = templateOf(stack);
    const logicalId = Object.keys(section(t, 'Resources')).find((k) => k.startsWith('Orders'));
    assert.deepEqual(outputValue(t, PRODUCTS_OUTPUT_KEY), {
      'Fn::Join': ['', ['{"bucketName":"', { Ref: logicalId }, '","region":"us-east-1"}']],
    });
    assert.equal(
      Object.keys(section(t, 'Outputs')).filter((k) => k === PRODUCTS_OUTPUT_KEY).length,
      1,
    );
  });

  it('escapes synth-time values so the output parses back to them', () => {
    const { stack } = newStack();
    const tricky = 'a "quoted" \\ back\nslash {"json": true}';
    stack.publish('region', tricky);
    const value = outputValue(templateOf(stack), PRODUCTS_OUTPUT_KEY);
    assert.deepEqual(JSON.parse(value as string), { region: tricky });
  });

  it('defaults to the enver of process.env', () => {
    const saved = { ...process.env };
    try {
      Object.assign(process.env, enverEnv());
      OdmdEnver.resetCurrent();
      const stack = new OdmdStack(new App(NO_VALIDATION), 'orderSvc--main');
      assert.equal(stack.enver, OdmdEnver.current());
      assert.equal(stack.region, 'us-east-1');
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
      OdmdEnver.resetCurrent();
    }
  });

  it('has no OdmdProducts output when it publishes nothing', () => {
    const { stack } = newStack();
    assert.equal(section(templateOf(stack), 'Outputs')[PRODUCTS_OUTPUT_KEY], undefined);
  });

  it('refuses a product the enver does not declare, naming it', () => {
    const { stack } = newStack();
    assert.throws(
      () => stack.publish('apiUrl', 'x'),
      /product "apiUrl" is not declared by enver orderSvc\/b\.\.main \(ODMD_products="bucketName queueUrl region"\)/,
    );
    assert.equal(section(templateOf(stack), 'Outputs')[PRODUCTS_OUTPUT_KEY], undefined);
  });

  it('refuses a product published twice in one app', () => {
    const { app, enver, stack } = newStack();
    const other = new OdmdStack(app, enver.stackName(1), { enver });
    stack.publish('region', 'a');
    assert.throws(
      () => stack.publish('region', 'b'),
      /product "region" is already published by stack "orderSvc--main"/,
    );
    assert.throws(
      () => other.publish('region', 'b'),
      /already published by stack "orderSvc--main"/,
    );
    other.publish('queueUrl', 'q');
    assert.deepEqual(JSON.parse(outputValue(templateOf(other), PRODUCTS_OUTPUT_KEY) as string), {
      queueUrl: 'q',
    });
    assert.deepEqual(JSON.parse(outputValue(templateOf(stack), PRODUCTS_OUTPUT_KEY) as string), {
      region: 'a',
    });
  });

  it('records the deploy parameters in an output so each is referenced', () => {
    const { stack } = newStack();
    const v = outputValue(templateOf(stack), 'OdmdDeployParameters');
    const text = JSON.stringify(v);
    for (const name of DEPLOY_PARAMETER_NAMES) assert.ok(text.includes(`{"Ref":"${name}"}`), name);
  });
});
