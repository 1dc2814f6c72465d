import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OdmdEnver, consumerVariable } from '../src/index';
import { CLONE_REV, cloneEnv, enverEnv } from './fixtures';

const REQUIRED = [
  'ODMD_build_id',
  'ODMD_rev_ref',
  'ODMD_enver_id',
  'ODMD_awsAccount',
  'ODMD_awsRegion',
  'ODMD_stack_names',
  'ODMD_products',
];

describe('OdmdEnver', () => {
  it('reads the enver context from the ODMD_* environment', () => {
    const e = new OdmdEnver(enverEnv());
    assert.equal(e.buildId, 'orderSvc');
    assert.equal(e.revRef, 'b..main');
    assert.equal(e.enverId, 'orderSvc/b..main');
    assert.equal(e.account, '111111111111');
    assert.equal(e.region, 'us-east-1');
    assert.deepEqual(e.cdkEnv, { account: '111111111111', region: 'us-east-1' });
    assert.deepEqual(e.stackNames, ['orderSvc--main', 'orderSvc-share-nat--main']);
    assert.equal(e.stackName(), 'orderSvc--main');
    assert.equal(e.stackName(1), 'orderSvc-share-nat--main');
    assert.deepEqual(e.productNames, ['bucketName', 'queueUrl', 'region']);
    assert.equal(e.isClone, false);
    assert.deepEqual(e.rev, { str: 'b..main', type: 'b', value: 'main', origin: undefined });
  });

  it('parses a clone rev and its origin', () => {
    const e = new OdmdEnver(cloneEnv());
    assert.equal(e.isClone, true);
    assert.equal(e.rev.str, CLONE_REV);
    assert.equal(e.rev.type, 'b');
    assert.equal(e.rev.value, 'feat1');
    assert.equal(e.rev.origin?.str, 'b..main');
  });

  for (const name of REQUIRED) {
    it(`names ${name} when it is missing`, () => {
      assert.throws(
        () => new OdmdEnver(enverEnv({ [name]: undefined })),
        (err: unknown) =>
          err instanceof Error && err.message.includes(`environment variable ${name} is not set`),
      );
    });
  }

  for (const name of REQUIRED.filter((n) => n !== 'ODMD_products')) {
    it(`names ${name} when it is empty`, () => {
      assert.throws(() => new OdmdEnver(enverEnv({ [name]: ' ' })), new RegExp(name));
    });
  }

  it('accepts an enver that publishes no product (empty ODMD_products)', () => {
    assert.deepEqual(new OdmdEnver(enverEnv({ ODMD_products: '' })).productNames, []);
  });

  it('splits ODMD_stack_names on spaces and rejects a malformed name', () => {
    const e = new OdmdEnver(enverEnv({ ODMD_stack_names: ' a--main  b--main ' }));
    assert.deepEqual(e.stackNames, ['a--main', 'b--main']);
    assert.throws(
      () => new OdmdEnver(enverEnv({ ODMD_stack_names: 'ok--main 1bad_name' })),
      /ODMD_stack_names holds "1bad_name", not a stack name/,
    );
  });

  it('rejects a malformed rev, quoting it', () => {
    assert.throws(() => new OdmdEnver(enverEnv({ ODMD_rev_ref: 'main' })), /rev "main" is not/);
    assert.throws(
      () => new OdmdEnver(enverEnv({ ODMD_rev_ref: 'b..main-_x..y' })),
      /rev "b\.\.main-_x\.\.y" is not/,
    );
  });

  it('asks for a stack index past the end with an error naming the stacks', () => {
    const e = new OdmdEnver(enverEnv());
    assert.throws(() => e.stackName(2), /has 2 stack\(s\) .*no stack #2/);
  });

  it('gives a consumer value by name, through the sanitised variable', () => {
    const e = new OdmdEnver(enverEnv({ ODMD_consumer_empty: '' }));
    assert.equal(consumerVariable('log-dest'), 'ODMD_consumer_log_dest');
    assert.equal(consumerVariable('a.b/c_d9'), 'ODMD_consumer_a_b_c_d9');
    assert.equal(e.consumer('vpcId'), 'vpc-123');
    assert.equal(e.consumer('log-dest'), 'arn:aws:logs:dest');
    assert.equal(e.consumer('empty'), '');
    assert.equal(e.hasConsumer('vpcId'), true);
    assert.equal(e.hasConsumer('nope'), false);
  });

  it("takes the generated package's consumer and product objects, its clones' too", () => {
    // As `odmd gen package` types them (index.d.ts: Consumer<...>, Product<...>).
    const vpcId = {
      enverId: 'orderSvc/b..main',
      name: 'vpcId',
      producer: 'networking/b..main',
      product: 'vpcId',
      reaction: 'redeploy',
      placeholder: null,
    } as const;
    const bucketName = {
      enverId: 'orderSvc/b..main',
      name: 'bucketName',
      path: '/odmd-share/orderSvc/b..main/bucketName',
    } as const;
    const e = new OdmdEnver(enverEnv());
    assert.equal(e.consumer(vpcId), 'vpc-123');
    assert.equal(e.hasConsumer(vpcId), true);
    assert.equal(e.declaresProduct(bucketName), true);
    const clone = new OdmdEnver(cloneEnv());
    assert.equal(clone.originId, 'orderSvc/b..main');
    assert.equal(clone.consumer(vpcId), 'vpc-123');
    const other = { ...vpcId, enverId: 'billing/b..main' };
    assert.throws(
      () => e.consumer(other),
      /consumer "vpcId" of enver billing\/b\.\.main is not one of enver orderSvc\/b\.\.main$/,
    );
    assert.throws(
      () => clone.declaresProduct({ ...bucketName, enverId: 'orderSvc/b..dev' }),
      /product "bucketName" of enver orderSvc\/b\.\.dev is not one of enver orderSvc\/b\.\.main-_b\.\.feat1 \(a clone of orderSvc\/b\.\.main\)/,
    );
  });

  it('refuses an undeclared consumer, naming it and its variable', () => {
    const e = new OdmdEnver(enverEnv());
    assert.throws(
      () => e.consumer('natIp'),
      (err: unknown) =>
        err instanceof Error &&
        err.message.includes('consumer "natIp" is not declared for enver orderSvc/b..main') &&
        err.message.includes('ODMD_consumer_natIp is not set'),
    );
  });

  it('reads process.env once for current()', () => {
    const saved = { ...process.env };
    try {
      Object.assign(process.env, enverEnv());
      OdmdEnver.resetCurrent();
      const first = OdmdEnver.current();
      assert.equal(first.buildId, 'orderSvc');
      assert.equal(OdmdEnver.current(), first);
      delete process.env['ODMD_awsRegion'];
      OdmdEnver.resetCurrent();
      assert.throws(() => OdmdEnver.current(), /ODMD_awsRegion is not set/);
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
      OdmdEnver.resetCurrent();
    }
  });
});
