// The demo org's own architecture tests, run by .scripts/build.sh before it synthesises.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConsumingEnver, enverFromEnv } from '@odmd/contracts';
import { demoContracts } from '../src/contracts';

describe('the demo org', () => {
  it('breaks every rule of none (odmd validate, the one implementation of the rules)', () => {
    assert.deepEqual(demoContracts().validate(), []);
  });

  it('keeps production envers on real values except where a cycle needs a placeholder', () => {
    const c = demoContracts();
    const placeholders = c.data.builds.flatMap((b) =>
      b.envers.flatMap((e) =>
        e.consumers.filter((x) => x.placeholder !== undefined).map((x) => `${b.id}/${e.rev}:${x.name}`),
      ),
    );
    assert.deepEqual(placeholders, ['networking/b..main:logBucket']);
  });

  it('lets the dashboard only be notified of a new order API', () => {
    const dashboard = enverFromEnv(demoContracts(), {
      ODMD_build_id: 'dashboard',
      ODMD_rev_ref: 'b..main',
    });
    assert.ok(dashboard instanceof ConsumingEnver);
    assert.equal(dashboard.consumer('orderApi')?.producer, 'orderManager/b..main');
    assert.equal(dashboard.data.consumers[0]?.reaction, 'notify');
  });
});
