// What a drawn edge stands for: on hover a tooltip lists its consumers and the products
// they read; a click (selection) shows the same as a table in the edge box, with each
// member's versions, state and reaction. A bundle (several consumers between two envers,
// graph.js bundleEdges) lists every member; a single edge its one consumer.
import { $, h, table } from './dom.js';
import { membersOf } from './graph.js';

function title(ele) {
  const n = ele.data('count') || 1;
  return `${ele.data('source')} → ${ele.data('target')}` +
    (n > 1 ? ` (×${n} consumers, worst state ${ele.data('state')})` : '');
}

// "consumer ← product" lines of a drawn edge.
export function productLines(ele) {
  return membersOf(ele).map((m) => `${m.consumer} ← ${m.product}`);
}

export class EdgeViews {
  constructor() {
    this.tip = $('edge-tip');
    this.box = $('edge-info');
    this.selected = null; // the id of the drawn edge shown in the box
  }

  // The tooltip at `pos` (rendered position in the graph container).
  hover(ele, pos) {
    this.tip.dataset.edge = ele.id();
    this.tip.replaceChildren(
      h('div', { class: 'tip-title' }, title(ele)),
      ...productLines(ele).map((line) => h('div', { 'data-testid': 'edge-tip-product' }, line)),
    );
    this.tip.style.left = `${Math.round(pos.x + 14)}px`;
    this.tip.style.top = `${Math.round(pos.y + 14)}px`;
    this.tip.hidden = false;
  }

  unhover() {
    this.tip.hidden = true;
    delete this.tip.dataset.edge;
  }

  // The edge box for a selected edge.
  show(ele) {
    this.selected = ele.id();
    this.box.dataset.edge = ele.id();
    const rows = membersOf(ele).map((m) => h('tr', { 'data-member': m.id, 'data-state': m.state },
      h('td', {}, m.consumer),
      h('td', {}, m.product),
      h('td', {}, `${m.consumed ?? 0} / ${m.latest ?? 0}`),
      h('td', { class: 'state-' + m.state }, m.state),
      h('td', {}, m.reaction)));
    this.box.replaceChildren(
      h('button', { class: 'close', type: 'button', title: 'close',
        'data-testid': 'edge-info-close', onclick: () => this.hide() }, '×'),
      h('div', { class: 'tip-title', 'data-testid': 'edge-info-title' }, title(ele)),
      table(['consumer', 'product', 'consumed / latest', 'state', 'reaction'], rows,
        { 'data-testid': 'edge-members' }),
    );
    this.box.hidden = false;
  }

  hide() {
    this.selected = null;
    this.box.hidden = true;
    delete this.box.dataset.edge;
  }

  // After the graph changed: the box follows its edge (closed when the edge is gone).
  refresh(cy) {
    if (!this.selected) return;
    const ele = cy.getElementById(this.selected);
    if (ele.empty()) this.hide();
    else this.show(ele);
  }
}
