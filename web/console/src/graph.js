// The graph view: cytoscape elements from GET /api/graph, styles, the layered layout, clone
// placement, and patching a drawn graph with a newer JSON without redrawing everything.
import cytoscape from 'cytoscape';
import dagre from 'cytoscape-dagre';

import {
  CLONE_POINT, FONT_FAMILY, GROUP_PADDING, NODE_H, NODE_MIN_W, setEnverLabel,
} from './labels.js';
import {
  MAX_ZOOM, MIN_ZOOM, addPlaced, followResize, skipFirstStyleTriggers,
} from './view.js';

cytoscape.use(dagre);

// Above either bound the graph is drawn in fast mode: no build groups, straight (haystack)
// edges without arrows, labels only when zoomed in, and the quick layered layout below
// instead of dagre. dagre (cytoscape-dagre 4.0.1) is the better drawing but its time grows
// fast: measured in node on synthetic orgs, 50 envers/100 edges 0.3 s, 100/300 1.4 s,
// 200/400 1.9 s, 500/2,000 48 s, 5,000/50,000 did not finish in 5 minutes; cytoscape's
// breadthfirst took 9 s at 5,000/50,000.
export const FAST_NODES = 150;
export const FAST_EDGES = 400;

export function isFast(graph) {
  return graph.envers.length > FAST_NODES || graph.edges.length > FAST_EDGES;
}

export const BUILD_PREFIX = 'build:';
export const BUNDLE_PREFIX = 'bundle:';
const NODE_W = NODE_MIN_W;
const GAP = 14;

function enverClasses(e) {
  const c = [e.kind || 'branch', 'status-' + (e.status || 'never')];
  if (e.kind === 'clone') c.push(e.declared ? 'declared' : 'dynamic');
  return c.join(' ');
}

function edgeClasses(e) {
  return [e.state || 'pending', 'reaction-' + (e.reaction || 'redeploy')].join(' ');
}

// A bundle's state is the worst of its members', in this order (docs/console.md).
export const STATE_ORDER = ['outdated', 'placeholder', 'pending', 'current'];

function worstState(members) {
  let worst = STATE_ORDER.length - 1;
  for (const m of members) {
    const i = STATE_ORDER.indexOf(m.state || 'pending');
    if (i >= 0 && i < worst) worst = i;
  }
  return STATE_ORDER[worst];
}

// What a bundle keeps of each member edge (the tooltip and the edge box show it).
function memberOf(e) {
  return { id: e.id, consumer: e.consumer, product: e.product, state: e.state,
    reaction: e.reaction, consumed: e.consumed, latest: e.latest };
}

// The drawn edges: one per producer -> consumer pair. A pair joined by one consumer is that
// edge (id = edge id, data = its JSON); several consumers are one bundle, id
// "bundle:<producer>-><consumer>", with count, label "×n", members (id, consumer, product,
// state, reaction, consumed, latest), the worst member state and the members' reaction
// ("mixed" when they differ). bundleOf maps each member edge id to its bundle id.
export function bundleEdges(list, drawn = null) {
  // Edges with an end that is not drawn (not in `drawn`, a Set of enver ids) are left out.
  if (drawn) list = drawableRuns(list, drawn);
  const out = { edges: [], bundleOf: new Map() };
  // GET /api/graph lists each consumer's edges together (the model appends them per
  // consumer, libs/model/src/graph.cc), so a run is checked for repeated producers with a
  // few comparisons (50,000 edges: a few ms, no map). Any other order falls back to
  // grouping by pair.
  const ended = new Set();
  let start = 0;
  for (let i = 1; i <= list.length; i++) {
    if (i < list.length && list[i].target === list[start].target) continue;
    const target = list[start].target;
    if (ended.has(target)) return bundleAnyOrder(list);
    ended.add(target);
    emitRun(list, start, i, out);
    start = i;
  }
  return out;
}

// `list` without the edges whose producer or consumer is not in `drawn` (the list itself
// when every edge is drawable, the usual case).
function drawableRuns(list, drawn) {
  let i = 0;
  let target = null;
  let targetOk = true;
  for (; i < list.length; i++) {
    const e = list[i];
    if (e.target !== target) {
      target = e.target;
      targetOk = drawn.has(target);
    }
    if (!targetOk || !drawn.has(e.source)) break;
  }
  if (i === list.length) return list;
  return list.filter((e) => drawn.has(e.source) && drawn.has(e.target));
}

function single(e) {
  return { group: 'edges', data: { ...e }, classes: edgeClasses(e) };
}

function bundle(members, bundleOf) {
  const first = members[0];
  const id = `${BUNDLE_PREFIX}${first.source}->${first.target}`;
  const reactions = new Set(members.map((m) => m.reaction || 'redeploy'));
  const data = {
    id, source: first.source, target: first.target, bundle: true, count: members.length,
    label: '×' + members.length, members: members.map(memberOf), state: worstState(members),
    reaction: reactions.size === 1 ? [...reactions][0] : 'mixed',
  };
  for (const m of members) bundleOf.set(m.id, id);
  return { group: 'edges', data, classes: edgeClasses(data) + ' bundle' };
}

// The edges list[start, end) of one consumer: each producer's edges, as one edge or a bundle,
// in the order of their first edge.
function emitRun(list, start, end, out) {
  let repeated = end - start > 32; // long runs are grouped without looking first
  for (let i = start + 1; i < end && !repeated; i++) {
    for (let j = start; j < i; j++) {
      if (list[j].source === list[i].source) {
        repeated = true;
        break;
      }
    }
  }
  if (!repeated) {
    for (let i = start; i < end; i++) out.edges.push(single(list[i]));
    return;
  }
  const bySource = new Map();
  for (let i = start; i < end; i++) {
    const e = list[i];
    const members = bySource.get(e.source);
    if (members) members.push(e);
    else bySource.set(e.source, [e]);
  }
  for (const members of bySource.values()) {
    out.edges.push(members.length === 1 ? single(members[0]) : bundle(members, out.bundleOf));
  }
}

// bundleEdges for edges in any order: grouped by producer -> consumer pair.
function bundleAnyOrder(list) {
  const out = { edges: [], bundleOf: new Map() };
  const byPair = new Map();
  for (const e of list) {
    const key = e.source + '\n' + e.target;
    const members = byPair.get(key);
    if (members) members.push(e);
    else byPair.set(key, [e]);
  }
  for (const members of byPair.values()) {
    out.edges.push(members.length === 1 ? single(members[0]) : bundle(members, out.bundleOf));
  }
  return out;
}

// Node and edge descriptions for cytoscape. Nodes: id = enver id, data mirrors the JSON
// plus label and w (labels.js); build groups (id "build:<id>") unless fast. Edges: one per
// producer -> consumer pair (bundleEdges).
export function elementsOf(graph, fast) {
  const { nodes, ids } = nodesOf(graph, fast);
  const { edges, bundleOf } = bundleEdges(graph.edges, ids);
  return { nodes, edges, bundleOf };
}

// The node descriptions of elementsOf, and the set of the envers' ids.
function nodesOf(graph, fast) {
  const nodes = [];
  const ids = new Set();
  const groups = [];
  const widest = new Map();
  if (!fast) {
    for (const b of graph.builds || []) {
      groups.push({
        group: 'nodes',
        data: { id: BUILD_PREFIX + b.id, label: b.id, build: b.id, repo: b.repo || '' },
        classes: 'build',
      });
    }
    nodes.push(...groups);
  }
  const builds = new Set((graph.builds || []).map((b) => b.id));
  for (const e of graph.envers) {
    const data = { ...e };
    setEnverLabel(data, fast);
    data.kind = e.kind || 'branch';
    data.origin = e.origin || '';
    if (!fast && builds.has(e.build)) {
      data.parent = BUILD_PREFIX + e.build;
      widest.set(e.build, Math.max(widest.get(e.build) || 0, data.w));
    }
    nodes.push({ group: 'nodes', data, classes: enverClasses(e) });
    ids.add(e.id);
  }
  // A build group's label may be as wide as the group (labels.js made room for it).
  for (const n of groups) {
    n.data.labelW = (widest.get(n.data.build) || NODE_MIN_W) + 2 * GROUP_PADDING;
    n.data.w = n.data.labelW;
  }
  return { nodes, ids };
}

// The drawn edge (a bundle or the edge itself) of an edge id of the graph JSON.
export function drawnEdgeId(cy, edgeId) {
  const index = lazyIndex(cy);
  const bundleOf = index ? index.bundleOf : cy.scratch(BUNDLES);
  return (bundleOf && bundleOf.get(edgeId)) || edgeId;
}

// The member edges of a drawn edge, as memberOf keeps them (a single edge: itself).
export function membersOf(ele) {
  return ele.data('bundle') ? ele.data('members') : [memberOf(ele.data())];
}

const BUNDLES = 'odmdBundleOf';

export function styles(fast) {
  const s = [
    {
      selector: 'node',
      style: {
        // Fast mode: labels only once zoomed in (syncLabels), as measuring 5,000 is slow.
        label: fast ? '' : 'data(label)',
        width: 'data(w)',
        height: NODE_H,
        shape: 'round-rectangle',
        'font-family': FONT_FAMILY,
        'font-size': 10,
        'text-valign': 'center',
        'text-halign': 'center',
        // Two lines (rev or id, then account · region); the node is as wide as its text.
        'text-wrap': 'wrap',
        'text-max-width': 1000,
        'line-height': 1.25,
        color: '#fff',
        'background-color': '#4c8bf5',
        'border-width': 2,
        'border-color': '#1f4fa3',
        'min-zoomed-font-size': fast ? 9 : 4,
      },
    },
    { selector: 'node.tag', style: { shape: 'cut-rectangle', 'background-color': '#9b59b6',
      'border-color': '#5e2d73', 'border-style': 'double', 'border-width': 4 } },
    // Every clone has the clone shape and colour; one made by a commit command has a dashed
    // border, one the contracts declare a solid one.
    { selector: 'node.clone', style: { shape: 'round-tag', 'background-color': '#3bc9a3',
      'border-color': '#158060', 'border-style': 'dashed', 'border-width': 3, color: '#06382a',
      'text-margin-x': -CLONE_POINT / 2 } },
    { selector: 'node.clone.declared', style: { 'border-style': 'solid' } },
    { selector: 'node.status-failed', style: { 'border-color': '#e03131', 'border-width': 4 } },
    { selector: 'node.status-running, node.status-queued',
      style: { 'border-color': '#fab005', 'border-width': 4 } },
    { selector: 'node.status-never', style: { 'background-opacity': 0.6 } },
    {
      selector: 'node.build',
      style: {
        shape: 'round-rectangle',
        'background-color': '#e9edf3',
        'background-opacity': 1,
        'border-color': '#b8c1cf',
        'border-width': 1,
        'border-style': 'solid',
        color: '#39424e',
        'font-size': 11,
        'font-weight': 'bold',
        'text-valign': 'top',
        'text-halign': 'center',
        'text-margin-y': -2,
        // The whole name: its enver nodes are wide enough for it (labels.js); a name wider
        // than the widest node allowed wraps, at any character.
        'text-wrap': 'wrap',
        'text-overflow-wrap': 'anywhere',
        'text-max-width': 'data(labelW)',
        padding: GROUP_PADDING,
      },
    },
    {
      selector: 'edge',
      style: {
        width: fast ? 1 : 2,
        'line-color': '#adb5bd',
        'target-arrow-color': '#adb5bd',
        'target-arrow-shape': fast ? 'none' : 'triangle',
        'curve-style': fast ? 'haystack' : 'bezier',
        'arrow-scale': 0.8,
        opacity: fast ? 0.5 : 0.9,
      },
    },
    { selector: 'edge.current', style: { 'line-color': '#2b8a3e', 'target-arrow-color': '#2b8a3e' } },
    { selector: 'edge.outdated', style: { 'line-color': '#e8590c', 'target-arrow-color': '#e8590c',
      width: fast ? 2 : 3 } },
    { selector: 'edge.placeholder', style: { 'line-color': '#f2b705', 'target-arrow-color': '#f2b705' } },
    { selector: 'edge.pending', style: { 'line-color': '#adb5bd', 'target-arrow-color': '#adb5bd' } },
    { selector: 'edge.reaction-notify', style: { 'line-style': 'dashed' } },
    { selector: 'edge.reaction-ignore', style: { 'line-style': 'dotted' } },
    // Several consumers between two envers: one thicker edge with its count.
    { selector: 'edge.bundle', style: { width: fast ? 2 : 4, label: 'data(label)',
      'font-family': FONT_FAMILY, 'font-size': 11, 'font-weight': 'bold', color: '#1d2430',
      'text-background-color': '#fff', 'text-background-opacity': 0.9,
      'text-background-padding': 2, 'text-background-shape': 'round-rectangle',
      'min-zoomed-font-size': 6 } },
    { selector: '.dimmed', style: { opacity: 0.12 } },
    { selector: 'node.impacted', style: { 'underlay-color': '#e8590c', 'underlay-opacity': 0.45,
      'underlay-padding': 6, opacity: 1 } },
    { selector: 'node.impact-root', style: { 'underlay-color': '#c92a2a', 'underlay-opacity': 0.6,
      'underlay-padding': 8 } },
    { selector: 'edge.impacted', style: { width: 4, opacity: 1, 'z-index': 10 } },
    { selector: 'node.found', style: { 'underlay-color': '#2a6fdb', 'underlay-opacity': 0.5,
      'underlay-padding': 10 } },
    { selector: 'node:selected', style: { 'overlay-color': '#2a6fdb', 'overlay-opacity': 0.25 } },
    { selector: 'edge:selected', style: { 'underlay-color': '#2a6fdb', 'underlay-opacity': 0.35,
      'underlay-padding': 4, opacity: 1 } },
    { selector: '.filtered-out', style: { display: 'none' } },
  ];
  return s;
}

function layoutOptions(fast) {
  if (fast) {
    // dagre with less work: no compound nodes, tight spacing, a cheap ranker.
    return { name: 'dagre', rankDir: 'LR', ranker: 'longest-path', nodeSep: 6, rankSep: 80,
      edgeSep: 2, animate: false, fit: true };
  }
  // nodeSep leaves room for a build group's label above its box (dagre does not see it).
  return { name: 'dagre', rankDir: 'LR', ranker: 'network-simplex', nodeSep: 40, rankSep: 90,
    edgeSep: 6, animate: false, fit: true, padding: 20 };
}

const COL_GAP = 40; // between the sub-columns of the quick layout (+ the widest node)
const RANK_GAP = 120; // extra space between ranks of the quick layout
const ROW_H = NODE_H + 8;

// The quick layered layout for large graphs, in O(envers + edges): ranks by longest path
// from the producers that consume nothing (a cycle is broken at the enver with the fewest
// unranked producers), envers of a rank grouped by build and ordered by the mean position
// of their producers (one sweep), each clone right after its origin in the origin's rank.
// A rank taller than the drawing's target height wraps into several sub-columns, as wide as
// the widest enver (its data's w, when given). Returns {id: {x, y}} for every enver.
export function layeredPositions(graph) {
  const ids = [];
  const clonesOf = new Map();
  const known = new Set(graph.envers.map((e) => e.id));
  const build = new Map();
  for (const e of graph.envers) {
    build.set(e.id, e.build || '');
    if (e.kind === 'clone' && e.origin && known.has(e.origin)) {
      if (!clonesOf.has(e.origin)) clonesOf.set(e.origin, []);
      clonesOf.get(e.origin).push(e.id);
    } else {
      ids.push(e.id);
    }
  }
  const index = new Map(ids.map((id, i) => [id, i]));
  const succ = ids.map(() => []);
  const pred = ids.map(() => []);
  const pairs = new Set();
  for (const e of graph.edges) {
    const s = index.get(e.source);
    const t = index.get(e.target);
    if (s === undefined || t === undefined || s === t) continue;
    const key = s * 1e6 + t;
    if (pairs.has(key)) continue;
    pairs.add(key);
    succ[s].push(t);
    pred[t].push(s);
  }
  const n = ids.length;
  const rank = new Array(n).fill(0);
  const indeg = pred.map((p) => p.length);
  const done = new Array(n).fill(false);
  const queue = [];
  for (let i = 0; i < n; i++) if (indeg[i] === 0) queue.push(i);
  let processed = 0;
  let scan = 0;
  while (processed < n) {
    if (scan >= queue.length) {
      // Every queued enver is ranked and some are left: they are on cycles. Start from the
      // unranked enver with the fewest unranked producers.
      let best = -1;
      for (let i = 0; i < n; i++) {
        if (!done[i] && (best < 0 || indeg[i] < indeg[best])) best = i;
      }
      if (best < 0) break;
      indeg[best] = 0;
      queue.push(best);
    }
    const u = queue[scan++];
    if (done[u]) continue;
    done[u] = true;
    processed++;
    for (const v of succ[u]) {
      if (done[v]) continue;
      if (rank[u] + 1 > rank[v]) rank[v] = rank[u] + 1;
      if (--indeg[v] === 0) queue.push(v);
    }
  }
  const ranks = [];
  for (let i = 0; i < n; i++) (ranks[rank[i]] ||= []).push(i);
  const total = graph.envers.length;
  let widest = NODE_W;
  for (const e of graph.envers) if (e.w > widest) widest = e.w;
  const COL_W = widest + COL_GAP;
  const rowsPerCol = Math.max(12, Math.ceil(Math.sqrt(total * 1.2)));
  const order = new Array(n).fill(0);
  const sortKey = new Float64Array(n);
  // Each rank: its envers in sub-columns, placed from (0, 0); then the ranks side by side,
  // wrapped into bands below each other when the drawing would be far wider than high.
  const blocks = [];
  for (const members of ranks) {
    if (!members) continue;
    const bary = new Map();
    for (const i of members) {
      const b = build.get(ids[i]);
      const p = pred[i];
      let sum = 0;
      for (const j of p) sum += order[j];
      const entry = bary.get(b) || { sum: 0, count: 0 };
      entry.sum += p.length ? sum / p.length : 0;
      entry.count++;
      bary.set(b, entry);
    }
    // Each member's sort key once (not per comparison).
    for (const i of members) {
      const entry = bary.get(build.get(ids[i]));
      sortKey[i] = entry.sum / entry.count;
    }
    members.sort((a, b) => {
      const ka = sortKey[a];
      const kb = sortKey[b];
      if (ka !== kb) return ka - kb;
      return ids[a] < ids[b] ? -1 : ids[a] > ids[b] ? 1 : 0;
    });
    const local = {};
    let row = 0;
    let col = 0;
    let rows = 0;
    let slot = 0;
    for (const i of members) {
      const clones = clonesOf.get(ids[i]) || [];
      if (row > 0 && row + 1 + clones.length > rowsPerCol) {
        row = 0;
        col++;
      }
      order[i] = slot++;
      local[ids[i]] = { x: col * COL_W, y: row * ROW_H };
      row++;
      for (const c of clones) local[c] = { x: col * COL_W, y: row++ * ROW_H };
      rows = Math.max(rows, row);
    }
    blocks.push({ local, width: (col + 1) * COL_W, height: rows * ROW_H });
  }
  let totalWidth = 0;
  let maxHeight = 0;
  for (const b of blocks) {
    totalWidth += b.width + RANK_GAP;
    maxHeight = Math.max(maxHeight, b.height);
  }
  const bandWidth = Math.max(maxHeight * 1.6, Math.sqrt(totalWidth * maxHeight * 1.6));
  const pos = {};
  let x = 0;
  let y = 0;
  let bandHeight = 0;
  for (const b of blocks) {
    if (x > 0 && x + b.width > bandWidth) {
      x = 0;
      y += bandHeight + RANK_GAP;
      bandHeight = 0;
    }
    for (const [id, p] of Object.entries(b.local)) pos[id] = { x: x + p.x, y: y + p.y };
    x += b.width + RANK_GAP;
    bandHeight = Math.max(bandHeight, b.height);
  }
  return pos;
}

// Lays out every enver node: dagre for normal graphs (then each clone beside its origin),
// the quick layered layout in fast mode. Resolves with the time it took in ms.
export function runLayout(cy, fast) {
  const t0 = performance.now();
  if (fast) {
    return new Promise((resolve) => {
      const pos = layeredPositions(graphOf(cy));
      const layout = cy.layout({ name: 'preset', positions: (n) => pos[n.id()] || { x: 0, y: 0 },
        fit: true, padding: 20, animate: false });
      layout.one('layoutstop', () => resolve(performance.now() - t0));
      layout.run();
    });
  }
  return new Promise((resolve) => {
    const eles = cy.elements();
    const layout = eles.layout(layoutOptions(fast));
    layout.one('layoutstop', () => {
      placeAllClones(cy);
      cy.fit(undefined, 20);
      resolve(performance.now() - t0);
    });
    layout.run();
  });
}

// Puts a clone in its origin's rank (same x: the layout runs left to right) at the nearest
// free place next to the origin, first below then above, so nothing else moves.
export function placeClone(cy, clone) {
  const origin = cy.getElementById(clone.data('origin'));
  if (!origin || origin.empty()) return;
  const o = origin.position();
  const w = NODE_W + GAP / 2;
  const hgt = NODE_H + GAP / 2;
  // Only envers in the origin's column can be in the way.
  const column = [];
  cy.nodes().forEach((n) => {
    if (n.same(clone) || n.isParent() || n.hasClass('build')) return;
    const p = n.position();
    if (Math.abs(p.x - o.x) < w) column.push(p.y);
  });
  const free = (y) => column.every((cy2) => Math.abs(cy2 - y) >= hgt);
  const step = NODE_H + GAP;
  for (let k = 1; k < 10000; k++) {
    for (const dir of [1, -1]) {
      const y = o.y + dir * k * step;
      if (free(y)) {
        clone.position({ x: o.x, y });
        return;
      }
    }
  }
}

export function placeAllClones(cy) {
  const clones = cy.nodes('.clone').sort((a, b) => (a.id() < b.id() ? -1 : 1));
  // Park them first so that they do not block each other's places.
  clones.forEach((c) => c.position({ x: -1e7, y: -1e7 }));
  clones.forEach((c) => placeClone(cy, c));
}

function sameClasses(ele, classes) {
  const want = classes.split(' ').filter(Boolean).sort().join(' ');
  const have = ele.classes().filter((c) => !TRANSIENT.has(c)).sort().join(' ');
  return want === have;
}

// Classes the console adds on top of the JSON's (impact, search, filters): kept on patch.
const TRANSIENT = new Set(['dimmed', 'impacted', 'impact-root', 'found', 'filtered-out']);

function setClasses(ele, classes) {
  const keep = ele.classes().filter((c) => TRANSIENT.has(c));
  ele.classes([...classes.split(' ').filter(Boolean), ...keep].join(' '));
}

function dataChanged(ele, data) {
  const cur = ele.data();
  for (const k in data) {
    if (k === 'parent') continue;
    const a = cur[k];
    const b = data[k];
    if (a === b) continue;
    if (typeof a !== 'object' || typeof b !== 'object' || JSON.stringify(a) !== JSON.stringify(b)) {
      return true;
    }
  }
  return false;
}

// Brings the drawn graph to `graph`: updates data and classes of elements that stay, adds
// new ones, removes gone ones. New clones go beside their origin; any other new enver makes
// the caller re-run the layout (returned as needsLayout).
export function patch(cy, graph, fast) {
  const { nodes, edges, bundleOf } = elementsOf(graph, fast);
  cy.scratch(BUNDLES, bundleOf);
  const want = new Map();
  for (const n of nodes) want.set(n.data.id, n);
  for (const e of edges) want.set(e.data.id, e);
  const result = { added: 0, removed: 0, updated: 0, needsLayout: false };
  cy.batch(() => {
    cy.elements().forEach((ele) => {
      if (!want.has(ele.id())) {
        ele.remove();
        result.removed++;
      }
    });
    const newClones = [];
    for (const n of nodes) {
      const ele = cy.getElementById(n.data.id);
      if (ele.empty()) {
        const added = cy.add(n);
        result.added++;
        if (n.classes.split(' ').includes('clone') && n.data.origin) newClones.push(added);
        else if (!n.data.id.startsWith(BUILD_PREFIX)) result.needsLayout = true;
        continue;
      }
      if (dataChanged(ele, n.data) || !sameClasses(ele, n.classes)) {
        ele.data(n.data);
        setClasses(ele, n.classes);
        result.updated++;
      }
      const parent = ele.parent();
      const parentId = parent.empty() ? undefined : parent.id();
      if (parentId !== n.data.parent) ele.move({ parent: n.data.parent ?? null });
    }
    const lazy = isLazy(cy);
    if (lazy) setLazy(cy, { elements: { edges, bundleOf } });
    // Fast mode: only the drawn edges need updating (syncEdges draws new ones if in view).
    const edgeList = lazy ? cy.edges().map((ele) => want.get(ele.id())).filter(Boolean) : edges;
    for (const e of edgeList) {
      const ele = cy.getElementById(e.data.id);
      if (ele.empty()) {
        cy.add(e);
        result.added++;
      } else if (ele.data('source') !== e.data.source || ele.data('target') !== e.data.target) {
        ele.remove();
        cy.add(e);
        result.updated++;
      } else if (dataChanged(ele, e.data) || !sameClasses(ele, e.classes)) {
        ele.data(e.data);
        setClasses(ele, e.classes);
        result.updated++;
      }
    }
    if (!result.needsLayout) newClones.forEach((c) => placeClone(cy, c));
  });
  if (isLazy(cy)) result.added += syncEdges(cy);
  return result;
}

// The envers and edges of a drawn graph in the JSON's shape (what the layout needs).
function graphOf(cy) {
  const envers = [];
  cy.nodes().forEach((n) => {
    if (!n.hasClass('build')) envers.push(n.data());
  });
  const lazy = lazyEdges(cy);
  const edges = [];
  if (lazy) {
    for (const e of lazy.values()) edges.push(e.data);
  } else {
    cy.edges().forEach((e) => {
      edges.push({ source: e.data('source'), target: e.data('target') });
    });
  }
  return { envers, edges };
}

// ---- fast mode: edges drawn on demand ------------------------------------------------------
// Creating and painting 50,000 edges takes cytoscape tens of seconds in headless Chromium
// (measured: 9 s to create, 20 s to paint, on this 2-core machine under load), so in fast
// mode every edge stays in memory and only these are drawn: the edges of the envers in
// view once few enough are in view (zoomed in), and the edges of pinned envers and edges
// (the selected or found enver, an impact).
//
// The index of those edges (descriptions by id and by enver, bundles) of a graph drawn from
// scratch is built when first needed, or right after the first frame (indexEdgesSoon), not
// before it: ~0.2 s at 50,000 edges, and nothing needs it to draw the envers.
const LAZY = 'odmdLazyEdges';
const VISIBLE_FOR_EDGES = 600;
const MAX_DRAWN_EDGES = 6000;

// Fast mode: the edges are `elements` ({edges, bundleOf} of bundleEdges) or, to be indexed
// when first needed, `source` ({list, drawn}: the graph's edges and the drawn envers' ids).
function setLazy(cy, { elements = null, source = null }) {
  const old = cy.scratch(LAZY);
  cy.scratch(LAZY, { index: elements ? indexOf(elements) : null, source,
    pinned: old ? old.pinned : new Set(), pinnedEdges: old ? old.pinnedEdges : new Set() });
}

function indexOf({ edges, bundleOf }) {
  const byId = new Map();
  const byNode = new Map();
  const add = (node, id) => {
    const ids = byNode.get(node);
    if (ids) ids.push(id);
    else byNode.set(node, [id]);
  };
  for (const e of edges) {
    const { id, source, target } = e.data;
    byId.set(id, e);
    add(source, id);
    add(target, id);
  }
  return { byId, byNode, bundleOf };
}

// Fast mode: the index of the edges {byId, byNode, bundleOf}, built now if it was not yet;
// null in normal mode.
function lazyIndex(cy) {
  const lazy = cy.scratch(LAZY);
  if (!lazy) return null;
  if (!lazy.index) {
    lazy.index = indexOf(bundleEdges(lazy.source.list, lazy.source.drawn));
    lazy.source = null;
  }
  return lazy.index;
}

// Fast mode: builds the edges' index once the page is idle (after the first frame), so that
// the first zoom or search rarely waits for it.
export function indexEdgesSoon(cy) {
  if (!isLazy(cy)) return;
  setTimeout(() => {
    if (!cy.destroyed()) lazyIndex(cy);
  }, 0);
}

// Whether the edges' index is built (tests: not before the first frame).
export function edgesIndexed(cy) {
  const lazy = cy.scratch(LAZY);
  return Boolean(lazy && lazy.index);
}

// The edge descriptions of the whole graph in fast mode (null otherwise).
export function lazyEdges(cy) {
  const index = lazyIndex(cy);
  return index ? index.byId : null;
}

// Fast mode: brings the drawn edges to those wanted now. Returns how many were added.
export function syncEdges(cy) {
  const lazy = cy.scratch(LAZY);
  if (!lazy) return 0;
  const ext = cy.extent();
  const visible = [];
  cy.nodes().forEach((n) => {
    if (n.hasClass('filtered-out')) return;
    const p = n.position();
    if (p.x >= ext.x1 && p.x <= ext.x2 && p.y >= ext.y1 && p.y <= ext.y2) visible.push(n.id());
  });
  const fewInView = visible.length <= VISIBLE_FOR_EDGES;
  // Nothing drawn and nothing to draw: no need for the index yet.
  if (!fewInView && !lazy.pinned.size && !lazy.pinnedEdges.size && cy.edges().empty()) return 0;
  const { byId, byNode } = lazyIndex(cy);
  const want = new Set();
  const addOf = (nodeId) => {
    for (const id of byNode.get(nodeId) || []) {
      if (want.size >= MAX_DRAWN_EDGES) return;
      want.add(id);
    }
  };
  for (const id of lazy.pinnedEdges) if (want.size < MAX_DRAWN_EDGES) want.add(id);
  for (const id of lazy.pinned) addOf(id);
  if (fewInView) visible.forEach(addOf);
  let added = 0;
  cy.batch(() => {
    cy.edges().forEach((e) => {
      if (!want.has(e.id())) e.remove();
    });
    const toAdd = [];
    for (const id of want) {
      if (cy.getElementById(id).nonempty()) continue;
      const d = byId.get(id);
      if (d && cy.getElementById(d.data.source).nonempty() &&
          cy.getElementById(d.data.target).nonempty()) {
        toAdd.push(d);
      }
    }
    added = toAdd.length;
    if (added) cy.add(toAdd);
  });
  return added;
}

// Fast mode: keeps the edges of these envers and these edges (ids of the graph JSON; their
// bundles are drawn) drawn wherever the view is.
export function pinEdges(cy, { nodes = [], edges = [] } = {}) {
  const lazy = cy.scratch(LAZY);
  if (!lazy) return 0;
  lazy.pinned = new Set(nodes);
  lazy.pinnedEdges = new Set(edges.map((id) => drawnEdgeId(cy, id)));
  return syncEdges(cy);
}

// Fast mode: node labels only when zoomed in far enough to read them (measuring 5,000
// labels is a large part of the first paint).
function syncLabels(cy) {
  const show = cy.zoom() >= 0.5;
  if (cy.scratch('odmdLabels') === show || !cy.styleEnabled()) return; // headless: no style
  cy.scratch('odmdLabels', show);
  cy.style().selector('node[label]').style('label', show ? 'data(label)' : '').update();
}

export function isLazy(cy) {
  return Boolean(cy.scratch(LAZY));
}

// A fresh cytoscape instance in `container` with the graph's elements. In fast mode the
// envers are already placed by the quick layered layout (cy.scratch('odmdLayoutMs')).
export function create(container, graph, fast) {
  // Fast mode: the edges are indexed later (setLazy).
  const { nodes, edges, bundleOf, ids } = fast ? nodesOf(graph, fast) : elementsOf(graph, fast);
  let layoutMs = 0;
  if (fast) {
    const t0 = performance.now();
    const pos = layeredPositions({ envers: nodes.map((n) => n.data), edges: graph.edges });
    for (const n of nodes) n.position = pos[n.data.id] || { x: 0, y: 0 };
    layoutMs = performance.now() - t0;
  }
  // No elements yet: they are added once the first style's triggers are skipped (view.js).
  const options = {
    container,
    elements: [],
    style: styles(fast),
    minZoom: MIN_ZOOM,
    maxZoom: MAX_ZOOM,
    boxSelectionEnabled: false,
    layout: { name: 'preset', fit: false },
  };
  if (fast) {
    Object.assign(options, {
      hideEdgesOnViewport: true,
      textureOnViewport: true,
      motionBlur: false,
      pixelRatio: 1,
    });
  }
  const cy = cytoscape(options);
  skipFirstStyleTriggers(cy);
  if (fast) {
    addPlaced(cy, nodes);
  } else {
    cy.add([...nodes, ...edges]);
    cy.scratch(BUNDLES, bundleOf);
  }
  followResize(cy, container);
  cy.scratch('odmdLayoutMs', layoutMs);
  if (fast) {
    setLazy(cy, { source: { list: graph.edges, drawn: ids } });
    cy.scratch('odmdLabels', false);
    syncLabels(cy);
  }
  return cy;
}

// Replaces every element (a historical view, or back to live).
export function replaceAll(cy, graph, fast) {
  const { nodes, edges, bundleOf, ids } = fast ? nodesOf(graph, fast) : elementsOf(graph, fast);
  if (!fast) cy.scratch(BUNDLES, bundleOf);
  if (fast) {
    const pos = layeredPositions({ envers: nodes.map((n) => n.data), edges: graph.edges });
    for (const n of nodes) n.position = pos[n.data.id] || { x: 0, y: 0 };
  }
  cy.batch(() => {
    cy.elements().remove();
    if (!fast) cy.add([...nodes, ...edges]);
  });
  if (fast) {
    addPlaced(cy, nodes);
    setLazy(cy, { source: { list: graph.edges, drawn: ids } });
  }
}

// Fast mode handlers: edges and labels follow the viewport. onEdgesAdded(n) after edges
// were added (to re-apply highlights).
export function followViewport(cy, onEdgesAdded) {
  if (!isLazy(cy)) return;
  let timer = null;
  cy.on('viewport', () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      syncLabels(cy);
      const added = syncEdges(cy);
      if (added) onEdgesAdded(added);
    }, 150);
  });
}
