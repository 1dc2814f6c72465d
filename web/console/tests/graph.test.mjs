// Unit tests of the console's graph model in node (no browser): bundling of parallel edges,
// the worst-state order, node labels, the quick layout's column width, and how few passes
// over the elements a large graph costs before its first frame (view.js). CTest:
// console_graph_unit (web/console/tests/CMakeLists.txt), or by hand:
//   node --test web/console/tests/graph.test.mjs
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import cytoscape from 'cytoscape';

import {
  STATE_ORDER, bundleEdges, create, drawnEdgeId, edgesIndexed, elementsOf, isFast,
  layeredPositions, patch, pinEdges, styles,
} from '../src/graph.js';
import { NODE_H, NODE_MAX_W, NODE_MIN_W, enverLabel } from '../src/labels.js';
import { fitViewport, followResize, skipFirstStyleTriggers } from '../src/view.js';

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

describe('first frame of a large graph (view.js)', () => {
  // 200 envers placed by the quick layout, as create() places them in fast mode.
  function placed() {
    const envers = [];
    for (let i = 0; i < 200; i++) {
      envers.push({ id: `b${i}/b..main`, build: `b${i}`, rev: 'b..main', kind: 'branch',
        account: '1', region: 'r' });
    }
    return { builds: [], envers, edges: [] };
  }

  test('fast mode runs no layout over the placed envers (each is placed once)', () => {
    // The constructor's layout set every place again and fitted on bounding boxes: ~0.3 s at
    // 5,000 envers before the first frame (docs/console.md, Large orgs).
    const Preset = cytoscape('layout', 'preset');
    const run = Preset.prototype.run;
    let layoutsOverElements = 0;
    Preset.prototype.run = function countRuns(...args) {
      if (this.options.eles && this.options.eles.nonempty()) layoutsOverElements++;
      return run.apply(this, args);
    };
    let cy;
    try {
      const g = placed();
      cy = create(undefined, g, true);
      assert.equal(layoutsOverElements, 0, 'a layout ran over the envers at creation');
      const withW = g.envers.map((e) => ({ ...e, w: cy.getElementById(e.id).data('w') }));
      const pos = layeredPositions({ envers: withW, edges: [] });
      for (const e of g.envers) assert.deepEqual(cy.getElementById(e.id).position(), pos[e.id]);
    } finally {
      Preset.prototype.run = run;
      if (cy) cy.destroy();
    }
  });

  test('the fitted view shows every enver with the padding, as large as it fits', () => {
    const nodes = [
      { position: { x: 0, y: 0 }, data: { w: 120 } },
      { position: { x: 1000, y: 400 }, data: { w: 200 } },
    ];
    const { zoom, pan } = fitViewport(nodes, 1400, 800);
    const box = (n, side) => n.position.x + side * (n.data.w / 2 + 2);
    const left = zoom * box(nodes[0], -1) + pan.x;
    const right = zoom * box(nodes[1], 1) + pan.x;
    const top = zoom * (0 - NODE_H / 2 - 2) + pan.y;
    const bottom = zoom * (400 + NODE_H / 2 + 2) + pan.y;
    assert.ok(Math.abs(left - 20) < 1e-6 && Math.abs(right - 1380) < 1e-6,
      `left ${left}, right ${right}: the width is the tight side, 20 px padding each`);
    assert.ok(top >= 20 - 1e-6 && bottom <= 780 + 1e-6, `top ${top}, bottom ${bottom}`);
    assert.ok(Math.abs((top + bottom) / 2 - 400) < 1e-6, 'centred vertically');
    assert.equal(fitViewport([], 1400, 800), null);
    assert.equal(fitViewport(nodes, 0, 0), null, 'headless: no view to fit');
  });

  test('a resize is passed on only when the size changed, not on the first report', () => {
    // ResizeObserver reports the size once when it starts; cy.resize() then redrew every
    // element (~0.1 s at 5,000 envers) for nothing.
    const saved = globalThis.ResizeObserver;
    const observers = [];
    globalThis.ResizeObserver = class {
      constructor(callback) {
        this.callback = callback;
        observers.push(this);
      }
      observe() {}
    };
    try {
      let resizes = 0;
      const container = { clientWidth: 800, clientHeight: 600 };
      followResize({ resize: () => resizes++ }, container);
      observers[0].callback();
      assert.equal(resizes, 0, 'the first report of an unchanged size resized');
      container.clientWidth = 500; // the enver panel opened
      observers[0].callback();
      assert.equal(resizes, 1);
      observers[0].callback();
      assert.equal(resizes, 1);
    } finally {
      globalThis.ResizeObserver = saved;
    }
  });

  // A headless cytoscape that computes styles, with the console's fast-mode styles.
  function styled(skip) {
    const cy = cytoscape({ headless: true, styleEnabled: true, style: styles(true) });
    const style = cy.style();
    const check = style.checkTriggers;
    const counts = { triggers: 0 };
    style.checkTriggers = function counted(...args) {
      counts.triggers++;
      return check.apply(this, args);
    };
    if (skip) skipFirstStyleTriggers(cy); // around cytoscape's own (counted) checks
    cy.add(placed().envers.slice(0, 50).map((e, i) => ({ group: 'nodes',
      data: { ...e, w: 120 + i }, classes: 'branch status-succeeded',
      position: { x: i * 200, y: 0 } })));
    return { cy, counts };
  }

  test('an enver\'s first style costs no invalidation checks; later changes still move bounds',
    () => {
      const { cy, counts } = styled(true);
      const { cy: plain } = styled(false);
      try {
        const widths = cy.nodes().map((n) => n.boundingBox().w); // computes the first styles
        assert.equal(counts.triggers, 0,
          'cytoscape checked triggers for first styles (about 45% of computing them)');
        assert.deepEqual(widths, plain.nodes().map((n) => n.boundingBox().w),
          'the first styles differ from cytoscape\'s own');
        // A later change is checked as always: a failed enver's border is wider.
        const n = cy.nodes()[3];
        const before = n.boundingBox().w;
        n.addClass('status-failed');
        assert.equal(n.boundingBox().w, before + 2, 'the wider border did not move the bounds');
        assert.ok(counts.triggers > 0, 'a later style change was not checked');
      } finally {
        cy.destroy();
        plain.destroy();
      }
    });

  test('fast mode indexes its edges when first needed, not before the first frame', () => {
    const envers = [];
    const edges = [];
    for (let i = 0; i < 200; i++) {
      envers.push({ id: `b${i}/b..main`, build: `b${i}`, rev: 'b..main', account: '1',
        region: 'r' });
    }
    for (const c of ['a', 'b']) {
      edges.push(edge(c, 'current', { source: 'b0/b..main', target: 'b1/b..main' }));
    }
    const cy = create(undefined, { builds: [], envers, edges }, true);
    try {
      assert.equal(edgesIndexed(cy), false, 'the edges were indexed before the first frame');
      assert.equal(drawnEdgeId(cy, 'b1/b..main#a'), 'bundle:b0/b..main->b1/b..main');
      assert.equal(edgesIndexed(cy), true);
    } finally {
      cy.destroy();
    }
  });
});
