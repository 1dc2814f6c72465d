// Unit tests of the console's graph model in node (no browser): bundling of parallel edges,
// the worst-state order, node labels and the quick layout's column width. CTest:
// console_graph_unit (web/console/tests/CMakeLists.txt), or by hand:
//   node --test web/console/tests/graph.test.mjs
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  STATE_ORDER, bundleEdges, create, drawnEdgeId, elementsOf, isFast, layeredPositions, patch,
  pinEdges,
} from '../src/graph.js';
import { NODE_MAX_W, NODE_MIN_W, enverLabel } from '../src/labels.js';

const edge = (consumer, state, { source = 'a/b..main', target = 'c/b..main',
  reaction = 'redeploy' } = {}) => ({
  id: `${target}#${consumer}`, source, target, consumer, product: consumer + 'Product', state,
  reaction, consumed: 1, latest: 1,
});

describe('bundleEdges', () => {
  test('one consumer between two envers stays that edge', () => {
    const e = edge('x', 'current');
    const { edges, bundleOf } = bundleEdges([e]);
    assert.equal(edges.length, 1);
    assert.deepEqual(edges[0].data, e);
    assert.equal(edges[0].classes, 'current reaction-redeploy');
    assert.equal(bundleOf.size, 0);
  });

  test('several consumers between the same two envers are one bundle with their products',
    () => {
      const six = ['a', 'b', 'c', 'd', 'e', 'f'].map((c) => edge(c, 'current'));
      const other = edge('g', 'pending', { target: 'd/b..main' });
      const { edges, bundleOf } = bundleEdges([...six.slice(0, 3), other, ...six.slice(3)]);
      assert.equal(edges.length, 2);
      const b = edges.find((x) => x.data.bundle);
      assert.equal(b.data.id, 'bundle:a/b..main->c/b..main');
      assert.equal(b.data.count, 6);
      assert.equal(b.data.label, '×6');
      assert.deepEqual(b.data.members.map((m) => `${m.consumer}<-${m.product}`),
        six.map((e) => `${e.consumer}<-${e.product}`));
      assert.equal(b.classes, 'current reaction-redeploy bundle');
      for (const e of six) assert.equal(bundleOf.get(e.id), b.data.id);
      assert.equal(bundleOf.get(other.id), undefined);
    });

  test('edges grouped by consumer (as GET /api/graph sends them) or in any order bundle alike',
    () => {
      const list = [];
      for (const target of ['c/b..main', 'c/b..main-_b..ta', 'd/b..main']) {
        for (const [i, source] of ['a/b..main', 'b/b..main', 'a/b..main', 'a/b..main'].entries()) {
          list.push(edge(`x${i}`, i === 2 ? 'outdated' : 'current', { source, target }));
        }
      }
      const byId = [...list].sort((x, y) => (x.id < y.id ? -1 : 1));
      const shuffled = [list[5], list[0], list[11], list[2], list[7], list[9], list[1], list[3],
        list[10], list[4], list[8], list[6]];
      const view = ({ edges, bundleOf }) => ({
        edges: edges.map((e) => `${e.data.id}:${e.data.count || 1}:${e.data.state}`).sort(),
        bundleOf: [...bundleOf].sort(),
      });
      const want = view(bundleEdges(byId));
      assert.equal(want.edges.length, 6);
      assert.deepEqual(want.edges.filter((e) => e.startsWith('bundle:')), [
        'bundle:a/b..main->c/b..main-_b..ta:3:outdated',
        'bundle:a/b..main->c/b..main:3:outdated',
        'bundle:a/b..main->d/b..main:3:outdated',
      ]);
      assert.deepEqual(view(bundleEdges(shuffled)), want);
      // Edges with an end that is not drawn are left out.
      const drawn = new Set(['a/b..main', 'c/b..main']);
      assert.deepEqual(view(bundleEdges(byId, drawn)).edges,
        ['bundle:a/b..main->c/b..main:3:outdated']);
    });

  test('a bundle is in its worst member state: outdated, placeholder, pending, current', () => {
    assert.deepEqual(STATE_ORDER, ['outdated', 'placeholder', 'pending', 'current']);
    const stateOf = (...states) =>
      bundleEdges(states.map((s, i) => edge('c' + i, s))).edges[0].data.state;
    assert.equal(stateOf('current', 'pending'), 'pending');
    assert.equal(stateOf('current', 'pending', 'placeholder'), 'placeholder');
    assert.equal(stateOf('placeholder', 'current', 'outdated', 'pending'), 'outdated');
    assert.equal(stateOf('current', 'current'), 'current');
  });

  test('a bundle of mixed reactions says so; of one reaction keeps it', () => {
    const mixed = bundleEdges([edge('a', 'current'), edge('b', 'current', { reaction: 'notify' })]);
    assert.equal(mixed.edges[0].data.reaction, 'mixed');
    const notify = bundleEdges([edge('a', 'current', { reaction: 'notify' }),
      edge('b', 'current', { reaction: 'notify' })]);
    assert.equal(notify.edges[0].classes, 'current reaction-notify bundle');
  });
});

describe('labels', () => {
  const e = { id: 'coffeeShopOrderProcessorService/b..main',
    build: 'coffeeShopOrderProcessorService',
    rev: 'b..main', account: '200000000002', account_name: 'workspace0', region: 'us-east-1' };

  test('an enver node shows its rev (its id in fast mode) over account name and region', () => {
    assert.equal(enverLabel(e, false).label, 'b..main\nworkspace0 · us-east-1');
    assert.equal(enverLabel(e, true).label,
      'coffeeShopOrderProcessorService/b..main\nworkspace0 · us-east-1');
    assert.equal(enverLabel({ ...e, account_name: undefined }, false).label,
      'b..main\n200000000002 · us-east-1');
  });

  test('a node is wide enough for its build name, within bounds', () => {
    const short =
      enverLabel({ ...e, build: 'api', id: 'api/b..main', account_name: 'w0' }, false).w;
    const long = enverLabel(e, false).w;
    assert.equal(short, NODE_MIN_W);
    assert.ok(long > NODE_MIN_W && long <= NODE_MAX_W, String(long));
    const huge = enverLabel({ ...e, build: 'x'.repeat(200) }, false).w;
    assert.equal(huge, NODE_MAX_W);
  });

  test('the build groups carry the room for their label; clones are marked declared or not',
    () => {
      const graph = {
        builds: [{ id: e.build, envers: [e.id] }],
        envers: [e, { ...e, id: e.id + '-_b..ta', rev: 'b..main-_b..ta', kind: 'clone',
          origin: e.id, declared: true }, { ...e, id: e.build + '/b..x', rev: 'b..x',
          kind: 'clone', origin: e.id, declared: false }],
        edges: [],
      };
      const { nodes } = elementsOf(graph, false);
      const group = nodes.find((n) => n.data.id === 'build:' + e.build);
      const widest = Math.max(...nodes.filter((n) => n.data.parent).map((n) => n.data.w));
      assert.equal(group.data.labelW, widest + 16);
      const cls = Object.fromEntries(nodes.map((n) => [n.data.id, n.classes]));
      assert.equal(cls[e.id + '-_b..ta'], 'clone status-never declared');
      assert.equal(cls[e.build + '/b..x'], 'clone status-never dynamic');
    });
});

describe('layeredPositions', () => {
  test('sub-columns are as wide as the widest enver', () => {
    const envers = [];
    for (let i = 0; i < 40; i++) {
      envers.push({ id: `b${i}/b..main`, build: `b${i}`, w: i === 7 ? 300 : 120 });
    }
    const pos = layeredPositions({ envers, edges: [] });
    const xs = [...new Set(Object.values(pos).map((p) => p.x))].sort((a, b) => a - b);
    assert.ok(xs.length >= 2, JSON.stringify(xs));
    assert.equal(xs[1] - xs[0], 340);
  });
});

describe('fast mode (headless cytoscape)', () => {
  // 200 envers in a chain, and six consumers of x/b..main on y/b..main.
  function bigGraph(state = 'current') {
    const envers = [];
    const edges = [];
    for (let i = 0; i < 200; i++) {
      envers.push({ id: `b${i}/b..main`, build: `b${i}`, rev: 'b..main', kind: 'branch',
        account: '1', region: 'r' });
      if (i > 0) {
        edges.push(edge('in', 'current', { source: `b${i - 1}/b..main`, target: `b${i}/b..main` }));
      }
    }
    envers.push({ id: 'x/b..main', build: 'x', rev: 'b..main', account: '1', region: 'r' });
    envers.push({ id: 'y/b..main', build: 'y', rev: 'b..main', account: '1', region: 'r' });
    for (const c of ['a', 'b', 'c', 'd', 'e', 'f']) {
      edges.push(edge(c, c === 'c' ? state : 'current', { source: 'x/b..main', target: 'y/b..main' }));
    }
    return { builds: [], envers, edges };
  }

  test('a pinned member edge draws its bundle; a patch turns the bundle outdated', () => {
    const g = bigGraph();
    assert.ok(isFast(g));
    const cy = create(undefined, g, true);
    try {
      const bundleId = 'bundle:x/b..main->y/b..main';
      assert.equal(drawnEdgeId(cy, 'y/b..main#c'), bundleId);
      pinEdges(cy, { edges: ['y/b..main#c'] });
      const b = cy.getElementById(bundleId);
      assert.ok(b.nonempty(), 'the bundle is not drawn');
      assert.equal(b.data('count'), 6);
      assert.equal(cy.edges('[source = "x/b..main"]').length, 1);
      assert.ok(cy.getElementById('y/b..main#c').empty(), 'a member is drawn by itself');
      patch(cy, bigGraph('outdated'), true);
      assert.equal(cy.getElementById(bundleId).data('state'), 'outdated');
      assert.ok(cy.getElementById(bundleId).hasClass('outdated'));
    } finally {
      cy.destroy();
    }
  });
});
