// Search, filters (build, account, region) and impact highlighting on the drawn graph.
import { getJson } from './api.js';
import { $, h } from './dom.js';
import { BUILD_PREFIX, drawnEdgeId, pinEdges } from './graph.js';

function fillSelect(select, values, allLabel) {
  const key = values.join('\n');
  if (select.dataset.values === key) return; // unchanged: keep an open select open
  select.dataset.values = key;
  const keep = select.value;
  select.replaceChildren(h('option', { value: '' }, allLabel),
    ...values.map((v) => h('option', { value: v }, v)));
  select.value = values.includes(keep) ? keep : '';
}

export class Filters {
  // ctx: {cy(): the cytoscape instance, showError(e), showInfo(text)}
  constructor(ctx) {
    this.ctx = ctx;
    this.build = $('filter-build');
    this.account = $('filter-account');
    this.region = $('filter-region');
    this.search = $('search');
    this.clearButton = $('impact-clear');
    this.impactState = null; // {root, envers, edges}
    this.pinnedNodes = []; // fast mode: envers whose edges stay drawn (selected, found)
    for (const s of [this.build, this.account, this.region]) {
      s.addEventListener('change', () => this.apply());
    }
    this.search.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter') this.find(this.search.value);
    });
    this.search.addEventListener('change', () => this.find(this.search.value));
    this.clearButton.addEventListener('click', () => this.clearImpact());
  }

  // Fills the selects and the search suggestions from a graph JSON.
  populate(graph) {
    const uniq = (xs) => [...new Set(xs.filter(Boolean))].sort();
    fillSelect(this.build, uniq(graph.envers.map((e) => e.build)), 'all builds');
    fillSelect(this.account, uniq(graph.envers.map((e) => e.account)), 'all accounts');
    fillSelect(this.region, uniq(graph.envers.map((e) => e.region)), 'all regions');
    const options = graph.envers.length <= 3000
      ? [...uniq(graph.envers.map((e) => e.build)), ...graph.envers.map((e) => e.id)] : [];
    const list = $('search-options');
    const key = options.join('\n');
    if (list.dataset.values !== key) {
      list.dataset.values = key;
      list.replaceChildren(...options.map((v) => h('option', { value: v })));
    }
  }

  // Hides the envers that do not match the selected build, account and region (and build
  // groups left empty). Edges of hidden envers are hidden with them.
  apply() {
    const cy = this.ctx.cy();
    const b = this.build.value;
    const a = this.account.value;
    const r = this.region.value;
    cy.batch(() => {
      cy.nodes().removeClass('filtered-out');
      if (!b && !a && !r) return;
      cy.nodes().forEach((n) => {
        if (n.isParent() || n.id().startsWith(BUILD_PREFIX)) return;
        const d = n.data();
        if ((b && d.build !== b) || (a && d.account !== a) || (r && d.region !== r)) {
          n.addClass('filtered-out');
        }
      });
      cy.nodes('.build').forEach((g) => {
        if (g.children().not('.filtered-out').empty()) g.addClass('filtered-out');
      });
    });
  }

  // Finds an enver by id (or a build by id, or the first id containing the text), centres
  // the view on it and highlights it.
  find(text) {
    const q = String(text || '').trim();
    const cy = this.ctx.cy();
    cy.nodes('.found').removeClass('found');
    if (!q) return null;
    let target = cy.getElementById(q);
    if (target.empty()) target = cy.getElementById(BUILD_PREFIX + q);
    if (target.empty()) target = cy.nodes().filter((n) => n.data('build') === q && !n.isParent());
    if (target.empty()) {
      const lower = q.toLowerCase();
      const hit = cy.nodes().filter((n) => !n.isParent() && n.id().toLowerCase().includes(lower));
      target = hit.empty() ? hit : hit.first();
    }
    if (target.empty()) {
      this.ctx.showInfo(`no enver or build matches '${q}'`);
      return null;
    }
    target.addClass('found');
    this.pin(target.map((n) => n.id()));
    cy.animate({ fit: { eles: target, padding: 120 }, duration: 250 });
    this.ctx.showInfo(`found ${target.length === 1 ? target.id() : target.length + ' envers'}`);
    return target;
  }

  // GET /api/impact for a product path or an enver id; highlights what it reaches, dims the
  // rest.
  async impact({ product, enver }) {
    const query = product ? 'product=' + encodeURIComponent(product)
      : 'enver=' + encodeURIComponent(enver);
    let result;
    try {
      result = await getJson('/api/impact?' + query);
    } catch (e) {
      this.ctx.showError(e);
      return null;
    }
    this.showImpact(result);
    return result;
  }

  // Fast mode: the edges of these envers (and of the impact) stay drawn.
  pin(nodeIds) {
    this.pinnedNodes = nodeIds;
    pinEdges(this.ctx.cy(), { nodes: nodeIds, edges: this.impactState ? this.impactState.edges : [] });
    this.paintImpact();
  }

  showImpact(result) {
    this.impactState = result;
    pinEdges(this.ctx.cy(), { nodes: this.pinnedNodes, edges: result.edges || [] });
    this.paintImpact();
    this.clearButton.hidden = false;
    this.ctx.showInfo(`impact of ${result.root}: ${(result.envers || []).length} envers, ` +
      `${(result.edges || []).length} edges`);
  }

  // Applies the impact's classes to what is drawn (again after edges were added).
  paintImpact() {
    const result = this.impactState;
    if (!result) return;
    const cy = this.ctx.cy();
    cy.batch(() => {
      cy.elements().removeClass('impacted impact-root').addClass('dimmed');
      cy.nodes('.build').removeClass('dimmed');
      for (const e of result.envers || []) {
        const n = cy.getElementById(e.id);
        // Only the root is the root: the API's depths start at 0 for an enver's direct
        // consumers (and at 1 for a product's).
        n.removeClass('dimmed').addClass('impacted');
      }
      const root = cy.getElementById(result.root || '');
      if (root.nonempty()) root.removeClass('dimmed').addClass('impacted impact-root');
      // A bundle is impacted when one of its members is.
      for (const id of result.edges || []) {
        cy.getElementById(drawnEdgeId(cy, id)).removeClass('dimmed').addClass('impacted');
      }
    });
  }

  // Re-applies the impact highlight after a patch added elements.
  reapply() {
    this.paintImpact();
    this.apply();
  }

  clearImpact() {
    this.impactState = null;
    this.ctx.cy().elements().removeClass('dimmed impacted impact-root');
    pinEdges(this.ctx.cy(), { nodes: this.pinnedNodes });
    this.clearButton.hidden = true;
  }
}
