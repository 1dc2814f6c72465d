// odmd console: wires the token, the graph, the enver panel, filters, history and the live
// event stream together, and exposes test hooks on window.odmd.
import {
  ApiError, clearToken, followEvents, getJson, getToken, setToken, takeTokenFromLocation,
  usedEarlyRequest,
} from './api.js';
import { $ } from './dom.js';
import { EdgeViews } from './edges.js';
import { Filters } from './filters.js';
import * as G from './graph.js';
import { History } from './history.js';
import { EnverPanel } from './panel.js';
import { describeHealth } from './replicas.js';

const MAX_EVENTS = 5000;
const REFRESH_DEBOUNCE_MS = 100;
const HEALTH_POLL_MS = 5000;

const state = {
  graph: null, // the last graph JSON drawn (live or historical)
  revision: 0, // the store revision of the last live graph applied
  historical: false,
  historicalLabel: '',
  fast: false,
  layoutMs: 0, // the last full layout
  renderMs: 0, // graph JSON received -> laid out and painted (first graph)
  readyMs: 0, // navigation start -> first graph painted
  earlyGraph: false, // the first graph came from the request boot.js started
  live: 'off', // 'live' | 'reconnecting' | 'off'
  events: [], // recent events, oldest first
  patches: 0,
  leader: null, // the status bar's replica line: {text, title, cls} (replicas.js)
};

let cy = null;
let stream = null;
let resolveReady;
const ready = new Promise((resolve) => { resolveReady = resolve; });

window.odmd = {
  get cy() { return cy; },
  ready,
  state,
  get graph() { return state.graph; },
  get revision() { return state.revision; },
  get layoutMs() { return state.layoutMs; },
  get renderMs() { return state.renderMs; },
  get readyMs() { return state.readyMs; },
  get fast() { return state.fast; },
  get historical() { return state.historical; },
  get events() { return state.events; },
  refresh: () => refreshLive(),
  // The status bar's replica line ({text, title, cls}) and a way to re-read it now.
  get leader() { return state.leader; },
  refreshLeader: () => refreshLeader(),
  // The JSON of one edge or enver of the last graph (drawn or not: fast mode draws edges
  // on demand).
  edge: (id) => (state.graph ? state.graph.edges.find((e) => e.id === id) : undefined),
  enver: (id) => (state.graph ? state.graph.envers.find((e) => e.id === id) : undefined),
  // The drawn edge of an edge of the graph JSON: its bundle's id when several consumers
  // join the same two envers, else the edge's own id.
  drawnEdge: (id) => (cy ? G.drawnEdgeId(cy, id) : undefined),
};

// ---- status bar and token prompt ----------------------------------------------------------

function showError(e) {
  const bar = $('status');
  bar.textContent = e && e.message ? e.message : String(e);
  bar.className = 'error';
  if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
    promptToken(e.status === 401 ? 'The token was refused: ' + e.message
      : 'This token may not read the platform: ' + e.message);
  }
}

function showInfo(text) {
  const bar = $('status');
  bar.textContent = text;
  bar.className = '';
}

function promptToken(reason) {
  if (stream) { stream.stop(); stream = null; }
  if (reason) clearToken();
  $('token-reason').textContent = reason || 'A viewer or admin token is needed to read the platform.';
  $('token-prompt').hidden = false;
  $('token-input').focus();
}

$('token-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const token = $('token-input').value.trim();
  if (!token) return;
  setToken(token);
  $('token-input').value = '';
  $('token-prompt').hidden = true;
  start();
});

// The replica line of the status bar: who leads, from GET /api/health (no token needed).
async function refreshLeader() {
  let d;
  try {
    d = describeHealth(await getJson('/api/health'));
  } catch (e) {
    d = describeHealth(null, e);
  }
  state.leader = d;
  const el = $('leader');
  el.textContent = d.text;
  el.title = d.title;
  el.className = 'leader ' + d.cls;
  return d;
}

function setLive(s) {
  state.live = s;
  const el = $('live');
  el.className = 'live ' + (state.historical ? 'paused' : s === 'live' ? 'on' : 'off');
  el.textContent = state.historical ? 'paused' : s === 'live' ? 'live' : s;
}

// ---- the graph ----------------------------------------------------------------------------

const panel = new EnverPanel({
  showError,
  select: (id) => selectEnver(id),
  impact: (what) => filters.impact(what),
  events: () => state.events,
  repoOf: (build) => {
    const b = state.graph && (state.graph.builds || []).find((x) => x.id === build);
    return b ? b.repo : '';
  },
});
const filters = new Filters({ cy: () => cy, showError, showInfo });
const history = new History({ showError, showHistorical, backToLive });
const edgeViews = new EdgeViews();

function selectEnver(id) {
  const n = cy && cy.getElementById(id);
  if (n && n.nonempty()) {
    filters.pin([id]);
    cy.elements(':selected').unselect();
    n.select();
    cy.animate({ center: { eles: n }, duration: 200 });
  }
  panel.open(id);
}

function bind(instance) {
  instance.on('tap', 'node', (ev) => {
    const n = ev.target;
    if (n.hasClass('build')) return;
    filters.pin([n.id()]);
    panel.open(n.id());
  });
  // An edge: its consumers and products on hover, and in the edge box once clicked.
  instance.on('mouseover', 'edge', (ev) => edgeViews.hover(ev.target, ev.renderedPosition));
  instance.on('mouseout', 'edge', () => edgeViews.unhover());
  instance.on('tap', 'edge', (ev) => edgeViews.show(ev.target));
  instance.on('tap', (ev) => { if (ev.target === instance) edgeViews.hide(); });
  instance.on('viewport', () => edgeViews.unhover());
  G.followViewport(instance, () => filters.paintImpact());
}

function painted() {
  return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
}

// Draws `graph` from scratch (first load, a mode change, entering or leaving history).
async function drawFull(graph) {
  const fast = G.isFast(graph);
  const t0 = performance.now();
  if (!cy || fast !== state.fast) {
    if (cy) cy.destroy();
    cy = G.create($('graph'), graph, fast);
    bind(cy);
  } else {
    G.replaceAll(cy, graph, fast);
  }
  state.createMs = performance.now() - t0;
  state.fast = fast;
  // Fast mode: the envers were placed when they were added.
  state.layoutMs = fast ? cy.scratch('odmdLayoutMs') : await G.runLayout(cy, fast);
  state.graph = graph;
  filters.populate(graph);
  filters.reapply();
  edgeViews.refresh(cy);
}

// Brings the drawn graph up to `graph` in place.
async function drawPatch(graph) {
  if (!cy || G.isFast(graph) !== state.fast) return drawFull(graph);
  const result = G.patch(cy, graph, state.fast);
  state.patches++;
  if (result.needsLayout) state.layoutMs = await G.runLayout(cy, state.fast);
  state.graph = graph;
  filters.populate(graph);
  if (result.added || result.removed || result.needsLayout) filters.reapply();
  edgeViews.refresh(cy);
  return result;
}

// The open panel is read again only when its enver changed: its item, edges or clones in
// the graph, or an event about it or one of its clones (re-rendering on every event would
// pull the panel from under a click).
let panelTouched = false;
let lastPanelSignature = '';

function panelSignature(graph) {
  const id = panel.current;
  if (!id || !graph) return '';
  return JSON.stringify([
    graph.envers.filter((e) => e.id === id || e.origin === id),
    graph.edges.filter((e) => e.target === id || e.source === id),
  ]);
}

function touchesPanel(event) {
  const id = panel.current;
  if (!id) return false;
  if (event.enver === id) return true;
  const e = state.graph && state.graph.envers.find((x) => x.id === event.enver);
  return Boolean(e && e.origin === id);
}

let refreshTimer = null;
let refreshing = false;
let refreshAgain = false;

function scheduleRefresh() {
  if (refreshTimer) return;
  refreshTimer = setTimeout(() => {
    refreshTimer = null;
    refreshLive();
  }, REFRESH_DEBOUNCE_MS);
}

// Re-reads the live graph and patches the drawn one (not while a historical view is shown).
async function refreshLive() {
  if (state.historical) return;
  if (refreshing) { refreshAgain = true; return; }
  refreshing = true;
  try {
    const graph = await getJson('/api/graph');
    if (!state.historical) {
      if (graph.revision >= state.revision || !state.graph) {
        await drawPatch(graph);
        state.revision = graph.revision;
      }
      if (panel.current && (panelTouched || panelSignature(graph) !== lastPanelSignature)) {
        panelTouched = false;
        lastPanelSignature = panelSignature(graph);
        panel.refresh();
      }
    }
  } catch (e) {
    showError(e);
  } finally {
    refreshing = false;
    if (refreshAgain) { refreshAgain = false; scheduleRefresh(); }
  }
}

async function showHistorical(graph, label) {
  state.historical = true;
  state.historicalLabel = label;
  const banner = $('history-banner');
  banner.textContent = `Historical view: ${label} — the graph at store revision ${graph.revision}` +
    ` (now ${graph.latest_revision}), contracts ${graph.contracts_version || '—'}.` +
    ' Live updates are paused.';
  banner.hidden = false;
  setLive(state.live);
  await drawFull(graph);
  showInfo(`historical view: ${graph.envers.length} envers, ${graph.edges.length} edges`);
}

async function backToLive() {
  state.historical = false;
  $('history-banner').hidden = true;
  history.liveShown();
  setLive(state.live);
  try {
    const graph = await getJson('/api/graph');
    await drawFull(graph);
    state.revision = graph.revision;
    showInfo(`live: store revision ${graph.revision}`);
  } catch (e) {
    showError(e);
  }
}

// ---- events -------------------------------------------------------------------------------

let lastSeq = 0;

function remember(event) {
  if (event.seq <= lastSeq) return; // a replay after a reconnect
  lastSeq = event.seq;
  state.events.push(event);
  if (state.events.length > MAX_EVENTS) state.events.splice(0, state.events.length - MAX_EVENTS);
}

// Reads the event log (oldest first, in pages) so the panel can show past events; returns
// the last seq.
async function loadEvents() {
  let after = 0;
  for (let page = 0; page < 200; page++) {
    const { events } = await getJson(`/api/events?after=${after}&limit=1000`);
    for (const e of events) remember(e);
    if (events.length) after = events[events.length - 1].seq;
    if (events.length < 1000) break;
  }
  return after;
}

function startStream(after) {
  if (stream) stream.stop();
  lastSeq = Math.max(lastSeq, after);
  stream = followEvents({
    after,
    onEvent: (event) => {
      remember(event);
      if (touchesPanel(event)) panelTouched = true;
      scheduleRefresh();
    },
    onState: (s, err) => {
      setLive(s);
      refreshLeader(); // a reconnect may follow a failover
      if (s === 'live') scheduleRefresh(); // catch up on what happened before the stream
      if (err) showError(err);
    },
  });
}

// ---- start --------------------------------------------------------------------------------

let eventsLoaded = false;

async function start() {
  if (!getToken()) {
    promptToken();
    return;
  }
  showInfo('loading the graph …');
  let graph;
  const t0 = performance.now();
  try {
    graph = await getJson('/api/graph');
    state.fetchMs = performance.now() - t0;
    state.earlyGraph = usedEarlyRequest();
  } catch (e) {
    showError(e);
    if (!(e instanceof ApiError) || (e.status !== 401 && e.status !== 403)) {
      setTimeout(() => { if (!state.graph) start(); }, 3000);
    }
    return;
  }
  await drawFull(graph);
  state.revision = graph.revision;
  const tp = performance.now();
  await painted();
  state.paintMs = performance.now() - tp;
  state.renderMs = performance.now() - t0;
  state.readyMs = performance.now();
  showInfo(`${graph.envers.length} envers, ${graph.edges.length} edges · store revision ` +
    `${graph.revision} · contracts ${graph.contracts_version || '—'}` +
    (state.fast ? ' · fast mode (zoom in for labels)' : '') +
    ` · layout ${Math.round(state.layoutMs)} ms`);
  resolveReady();
  G.indexEdgesSoon(cy);
  history.loadVersions();
  if (stream) return;
  let after = lastSeq;
  if (!eventsLoaded) {
    try {
      after = await loadEvents();
      eventsLoaded = true;
    } catch (e) {
      showError(e);
    }
  }
  startStream(after);
}

$('fit').addEventListener('click', () => cy && cy.fit(undefined, 20));
$('legend-toggle').addEventListener('click', () => {
  const items = $('legend-items');
  items.hidden = !items.hidden;
  $('legend-toggle').textContent = items.hidden ? 'legend ▸' : 'legend ▾';
  $('legend-toggle').setAttribute('aria-expanded', String(!items.hidden));
});
// cytoscape sends no mouseout when the pointer leaves the graph over an edge.
$('graph').addEventListener('mouseleave', () => edgeViews.unhover());
takeTokenFromLocation();
start();
refreshLeader();
setInterval(refreshLeader, HEALTH_POLL_MS);
// A link with "#token=..." opened in this page (a same-document navigation).
window.addEventListener('hashchange', () => {
  if (!/(^#|&)token=/.test(window.location.hash)) return;
  takeTokenFromLocation();
  if (!$('token-prompt').hidden) {
    $('token-prompt').hidden = true;
    start();
  }
});
