import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OdmdEnver, physicalName, sanitizeStackName } from '../src/index';
import { CLONE_REV, cloneEnv, enverEnv } from './fixtures';

describe('sanitizeStackName', () => {
  it('follows the ondemandenv rule', () => {
    assert.equal(sanitizeStackName('orderSvc--main'), 'orderSvc--main');
    assert.equal(sanitizeStackName('orderSvc--t..v1.0.0'), 'orderSvc--t--v1-0-0');
    assert.equal(sanitizeStackName('_a.b_'), 'Aa-bZ');
  });
});

describe('physicalName', () => {
  const name = /^[a-z][a-z0-9-]*-[0-9a-f]{8}$/;

  it('is deterministic, readable and lower case', () => {
    const e = new OdmdEnver(enverEnv());
    const n = e.physicalName('orders');
    assert.equal(n, e.physicalName('orders'));
    assert.match(n, /^orders-ordersvc-b-main-[0-9a-f]{8}$/);
    assert.match(n, name);
  });

  it('differs for a clone (another rev) and for another base', () => {
    const main = new OdmdEnver(enverEnv());
    const clone = new OdmdEnver(cloneEnv());
    assert.notEqual(main.physicalName('orders'), clone.physicalName('orders'));
    assert.match(clone.physicalName('orders'), /^orders-ordersvc-b-main-b-feat1-[0-9a-f]{8}$/);
    assert.notEqual(main.physicalName('orders'), main.physicalName('orders-dlq'));
  });

  it('differs for two revs whose readable parts are the same', () => {
    const a = physicalName('svc', 'b..a-b', 'q');
    const b = physicalName('svc', 'b..a_b', 'q');
    assert.equal(a.slice(0, -8), b.slice(0, -8));
    assert.notEqual(a, b);
  });

  it('fits the length limit, keeping names of long revs apart', () => {
    const long = `b..${'x'.repeat(200)}`;
    const a = physicalName('someVeryLongBuildIdentifier', long, 'bucket');
    const b = physicalName(
      'someVeryLongBuildIdentifier',
      `${long}-_b..${'y'.repeat(50)}`,
      'bucket',
    );
    assert.ok(a.length <= 63, a);
    assert.ok(b.length <= 63, b);
    assert.match(a, name);
    assert.notEqual(a, b);
    const q = physicalName('svc', CLONE_REV, 'Queue', { maxLength: 30, preserveCase: true });
    assert.ok(q.length <= 30, q);
    assert.match(q, /^Queue-svc-/);
  });

  it('refuses a bad base or a too small limit, naming them', () => {
    assert.throws(
      () => physicalName('svc', 'b..main', '9lives'),
      /base "9lives" must start with a letter/,
    );
    assert.throws(() => physicalName('svc', 'b..main', 'a_b'), /base "a_b"/);
    assert.throws(
      () => physicalName('svc', 'b..main', 'ok', { maxLength: 10 }),
      /maxLength 10 is below 24/,
    );
  });
});
