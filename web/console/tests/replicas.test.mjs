// Unit tests of the status bar's replica line (src/replicas.js) in node. CTest:
// console_graph_unit (web/console/tests/CMakeLists.txt), or by hand:
//   node --test web/console/tests/replicas.test.mjs
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { describeHealth, formatAge } from '../src/replicas.js';

const replica = (id, age) => ({ id, address: `http://${id}:7780`, started_at_ms: 1,
  last_heartbeat_ms: 2, heartbeat_age_ms: age });

describe('describeHealth', () => {
  test('the leader serving the page', () => {
    const d = describeHealth({ ok: true, replica: 'a', replicas: [replica('a', 120)],
      leader: { replica: 'a', address: 'http://a:7780', epoch: 3, since_ms: 5,
        is_this_replica: true } });
    assert.equal(d.text, 'leader a · epoch 3 · this server');
    assert.equal(d.cls, '');
    assert.equal(d.title, 'replicas:\na  http://a:7780  leader  heartbeat 120 ms ago');
  });

  test('a follower serving the page names the leader, its address and the replicas', () => {
    const d = describeHealth({ ok: true, replica: 'b',
      replicas: [replica('a', 400), replica('b', 1530), replica('c', 80)],
      leader: { replica: 'a', address: 'http://a:7780', epoch: 7, since_ms: 5,
        is_this_replica: false } });
    assert.equal(d.text,
      'leader a · epoch 7 · at http://a:7780; this server is follower b · 3 replicas');
    assert.match(d.title, /^b {2}http:\/\/b:7780 {2}follower {2}heartbeat 1\.5 s ago$/m);
    assert.match(d.title, /^a {2}http:\/\/a:7780 {2}leader {2}heartbeat 400 ms ago$/m);
  });

  test('no leader, an unreadable lease and no answer are warnings', () => {
    assert.deepEqual(describeHealth({ ok: true, replica: 'b', leader: null, replicas: [] }),
      { text: 'no leader: failover in progress', title: '', cls: 'warn' });
    const unknown = describeHealth({ ok: true, replica: 'b', lease_error: 'connection lost' });
    assert.equal(unknown.text, 'leader unknown');
    assert.equal(unknown.cls, 'warn');
    assert.match(unknown.title, /connection lost/);
    const gone = describeHealth(null, new Error('Failed to fetch'));
    assert.deepEqual(gone, { text: 'server unreachable', title: 'Failed to fetch', cls: 'bad' });
  });

  test('formatAge', () => {
    assert.equal(formatAge(0), '0 ms');
    assert.equal(formatAge(999), '999 ms');
    assert.equal(formatAge(1000), '1.0 s');
    assert.equal(formatAge(-5), '0 ms');
  });
});
