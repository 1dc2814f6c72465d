// The graph view: cytoscape elements from GET /api/graph, styles, the layered layout, clone
// placement, and patching a drawn graph with a newer JSON without redrawing everything.
import cytoscape from 'cytoscape';
import dagre from 'cytoscape-dagre';

cytoscape.use(dagre);

// Above either bound the graph is drawn in fast mode: no build groups, straight (haystack)
// edges without arrows, labels only when zoomed in, a cheaper layered layout.
export const FAST_NODES = 1200;
export const FAST_EDGES = 5000;

export function isFast(graph) {
  return graph.envers.length > FAST_NODES || graph.edges.length > FAST_EDGES;
}

export const BUILD_PREFIX = 'build:';
const NODE_W = 120;
const NODE_H = 30;
const GAP = 14;

function enverClasses(e) {
  return [e.kind || 'branch', 'status-' + (e.status || 'never')].join(' ');
}

function edgeClasses(e) {
  return [e.state || 'pending', 'reaction-' + (e.reaction || 'redeploy')].join(' ');
}

// Node and edge descriptions for cytoscape. Nodes: id = enver id, data mirrors the JSON;
// build groups (id "build:<id>") unless fast. Edges: id = edge id, producer -> consumer.
export function elementsOf(graph, fast) {
  const nodes = [];
  const ids = new Set();
  if (!fast) {
    for (const b of graph.builds || []) {
      nodes.push({
        group: 'nodes',
        data: { id: BUILD_PREFIX + b.id, label: b.id, build: b.id, repo: b.repo || '' },
        classes: 'build',
      });
    }
  }
  const builds = new Set((graph.builds || []).map((b) => b.id));
  for (const e of graph.envers) {
    const data = {
      ...e,
      label: fast ? e.id : e.rev,
      kind: e.kind || 'branch',
      origin: e.origin || '',
    };
    if (!fast && builds.has(e.build)) data.parent = BUILD_PREFIX + e.build;
    nodes.push({ group: 'nodes', data, classes: enverClasses(e) });
    ids.add(e.id);
  }
  const edges = [];
  for (const e of graph.edges) {
    if (!ids.has(e.source) || !ids.has(e.target)) continue;
    edges.push({ group: 'edges', data: { ...e }, classes: edgeClasses(e) });
  }
  return { nodes, edges };
}

export function styles(fast) {
  const s = [
    {
      selector: 'node',
      style: {
        label: 'data(label)',
        width: NODE_W,
        height: NODE_H,
        shape: 'round-rectangle',
        'font-size': 10,
        'text-valign': 'center',
        'text-halign': 'center',
        'text-wrap': 'ellipsis',
        'text-max-width': NODE_W - 8,
        color: '#fff',
        'background-color': '#4c8bf5',
        'border-width': 2,
        'border-color': '#1f4fa3',
        'min-zoomed-font-size': fast ? 9 : 4,
      },
    },
    { selector: 'node.tag', style: { shape: 'cut-rectangle', 'background-color': '#9b59b6',
      'border-color': '#5e2d73', 'border-style': 'double', 'border-width': 4 } },
    { selector: 'node.clone', style: { shape: 'round-tag', 'background-color': '#3bc9a3',
      'border-color': '#158060', 'border-style': 'dashed', 'border-width': 3, color: '#06382a' } },
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
        padding: 8,
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
    { selector: '.dimmed', style: { opacity: 0.12 } },
    { selector: 'node.impacted', style: { 'underlay-color': '#e8590c', 'underlay-opacity': 0.45,
      'underlay-padding': 6, opacity: 1 } },
    { selector: 'node.impact-root', style: { 'underlay-color': '#c92a2a', 'underlay-opacity': 0.6,
      'underlay-padding': 8 } },
    { selector: 'edge.impacted', style: { width: 4, opacity: 1, 'z-index': 10 } },
    { selector: 'node.found', style: { 'underlay-color': '#2a6fdb', 'underlay-opacity': 0.5,
      'underlay-padding': 10 } },
    { selector: 'node:selected', style: { 'overlay-color': '#2a6fdb', 'overlay-opacity': 0.25 } },
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
  return { name: 'dagre', rankDir: 'LR', ranker: 'network-simplex', nodeSep: 12, rankSep: 90,
    edgeSep: 6, animate: false, fit: true, padding: 20 };
}

// Lays out every enver node (clones included) with the layered layout, then puts each clone
// beside its origin. Resolves with the time it took in ms.
export function runLayout(cy, fast) {
  const t0 = performance.now();
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

function overlaps(cy, pos, self) {
  const hw = NODE_W / 2 + GAP / 2;
  const hh = NODE_H / 2 + GAP / 2;
  let hit = false;
  cy.nodes(':childless').forEach((n) => {
    if (hit || n.same(self)) return;
    const p = n.position();
    if (Math.abs(p.x - pos.x) < 2 * hw && Math.abs(p.y - pos.y) < 2 * hh) hit = true;
  });
  return hit;
}

// Puts a clone in its origin's rank (same x: the layout runs left to right) at the nearest
// free place next to the origin, first below then above, so nothing else moves.
export function placeClone(cy, clone) {
  const origin = cy.getElementById(clone.data('origin'));
  if (!origin || origin.empty()) return;
  const o = origin.position();
  const step = NODE_H + GAP;
  for (let k = 1; k < 200; k++) {
    for (const dir of [1, -1]) {
      const pos = { x: o.x, y: o.y + dir * k * step };
      if (!overlaps(cy, pos, clone)) {
        clone.position(pos);
        return;
      }
    }
  }
  clone.position({ x: o.x, y: o.y + step });
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
  for (const k of Object.keys(data)) {
    if (k === 'parent') continue;
    if (JSON.stringify(cur[k]) !== JSON.stringify(data[k])) return true;
  }
  return false;
}

// Brings the drawn graph to `graph`: updates data and classes of elements that stay, adds
// new ones, removes gone ones. New clones go beside their origin; any other new enver makes
// the caller re-run the layout (returned as needsLayout).
export function patch(cy, graph, fast) {
  const { nodes, edges } = elementsOf(graph, fast);
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
    for (const e of edges) {
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
  return result;
}

// A fresh cytoscape instance in `container` with the graph's elements (not laid out yet).
export function create(container, graph, fast) {
  const { nodes, edges } = elementsOf(graph, fast);
  const options = {
    container,
    elements: [...nodes, ...edges],
    style: styles(fast),
    minZoom: 0.02,
    maxZoom: 4,
    boxSelectionEnabled: false,
  };
  if (fast) {
    Object.assign(options, {
      hideEdgesOnViewport: true,
      textureOnViewport: true,
      motionBlur: false,
      pixelRatio: 1,
    });
  }
  return cytoscape(options);
}

// Replaces every element (a mode change or a historical view).
export function replaceAll(cy, graph, fast) {
  const { nodes, edges } = elementsOf(graph, fast);
  cy.batch(() => {
    cy.elements().remove();
    cy.add([...nodes, ...edges]);
  });
  cy.style(styles(fast));
}
