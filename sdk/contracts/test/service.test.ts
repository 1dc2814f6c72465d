// What service code calls: revs (SRC_Rev_REF), the enver of ODMD_build_id/ODMD_rev_ref,
// consumer references that round-trip, products with child parts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Contracts, SrcRevRef, consumerRef, enverFromEnv, parseConsumerRef } from '@odmd/contracts';
import { odmdBin } from './helpers';
import { sandboxContracts } from './sandbox';

describe('SrcRevRef', () => {
  it('parses and prints static and clone revs', () => {
    const clone = SrcRevRef.parse('b..main-_b..feat1');
    assert.equal(clone.type, 'b');
    assert.equal(clone.value, 'feat1');
    assert.equal(clone.origin?.toPathPartStr(), 'b..main');
    assert.equal(clone.toPathPartStr(), 'b..main-_b..feat1');
    assert.equal(new SrcRevRef('t', 'v1.0.0').toPathPartStr(), 't..v1.0.0');
    assert.equal(new SrcRevRef('b', 'x', new SrcRevRef('t', 'v9')).toString(), 't..v9-_b..x');
  });

  it('names a rev without a b.. or t.. prefix', () => {
    assert.throws(() => SrcRevRef.parse('main'), /rev "main" is not "b..<branch>"/);
  });
});

describe('enverFromEnv', () => {
  const c = sandboxContracts();

  it('finds the enver of ODMD_build_id and ODMD_rev_ref', () => {
    const e = enverFromEnv(c, { ODMD_build_id: 'coffeeShopOrderManager', ODMD_rev_ref: 'b..dev' });
    assert.equal(e.id, 'coffeeShopOrderManager/b..dev');
    assert.deepEqual(e.productNames, ['orderTableName', 'orderApiUrl']);
  });

  it('finds the enver a clone was made from', () => {
    const e = enverFromEnv(c, { ODMD_build_id: 'networking', ODMD_rev_ref: 'b..main-_b..feat1' });
    assert.equal(e.id, 'networking/b..main');
  });

  it('names what is missing', () => {
    assert.throws(() => enverFromEnv(c, { ODMD_rev_ref: 'b..main' }), /ODMD_build_id is not set/);
    assert.throws(() => enverFromEnv(c, { ODMD_build_id: 'x' }), /ODMD_rev_ref is not set/);
    assert.throws(
      () => enverFromEnv(c, { ODMD_build_id: 'networking', ODMD_rev_ref: 'b..nope' }),
      /no enver networking\/b\.\.nope in the contracts of org "sandbox"/,
    );
  });
});

describe('consumer references', () => {
  it('round-trip through toRef() and consumerByRef()', () => {
    const c = sandboxContracts();
    const e = c.findEnver('coffeeShopOrderManager/b..main');
    assert.ok(e !== undefined && 'consumer' in e);
    const consumer = c.consumerByRef(consumerRef('coffeeShopOrderManager/b..main', 'eventBus'));
    assert.equal(consumer.toRef(), 'odmd-consumer:coffeeShopOrderManager/b..main/eventBus');
    assert.equal(c.consumerByRef(consumer.toRef()), consumer);
    assert.equal(consumer.producer, 'coffeeShopFoundation/b..main');
    assert.equal(consumer.product, 'eventBusArn');
  });

  it('name a bad or unknown reference', () => {
    const c = sandboxContracts();
    assert.throws(() => parseConsumerRef('eventBus'), /is not "odmd-consumer:<build>\/<rev>\/<consumer>"/);
    assert.throws(
      () => c.consumerByRef('odmd-consumer:networking/b..main/nope'),
      /enver networking\/b\.\.main has no consumer nope/,
    );
  });
});

describe('products with child parts', () => {
  it('declares the parent and "<parent>/<child>" and consumers reach each part', () => {
    const c = new Contracts('org', '1.0.0');
    const central = c.account('central', '111111111111');
    c.contractsBuild('contracts', c.repo('o', 'c')).branch('main', central, 'us-east-1');
    const db = c.cdkBuild('db', c.repo('o', 'db')).branch('main', central, 'us-east-1');
    const cluster = db.produces('cluster', { children: ['host', 'port'] });
    const svc = c.cdkBuild('svc', c.repo('o', 'svc')).branch('main', central, 'us-east-1');
    svc.consumes('dbHost', cluster.children.host);
    assert.deepEqual(db.productNames, ['cluster', 'cluster/host', 'cluster/port']);
    assert.equal(cluster.children.port.sharePath, '/odmd-share/db/b..main/cluster/port');
    assert.deepEqual(c.validate({ odmdBin: odmdBin() }), []);
  });

  it('keeps a child part named __proto__ as a member', () => {
    const c = new Contracts('org', '1.0.0');
    const central = c.account('central', '111111111111');
    const db = c.cdkBuild('db', c.repo('o', 'db')).branch('main', central, 'us-east-1');
    const p = db.produces('x', { children: ['__proto__', 'a'] });
    assert.deepEqual(Object.keys(p.children), ['__proto__', 'a']);
    assert.equal(p.children['__proto__'].name, 'x/__proto__');
  });
});
