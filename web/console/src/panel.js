// The enver panel: everything about one enver (GET /api/envers/<id>): rev, kind, account and
// region, status, derived names, its config (ODMD_config), products with their version
// history, consumers with the consumed and latest versions, deployments with their logs,
// clones, and the events of the enver and its clones.
import { getJson, getText, pathOf } from './api.js';
import { $, h, table, time } from './dom.js';

const EVENTS_SHOWN = 50;

// The enver's ODMD_config as indented JSON; "no config" for {} (or a server without it).
function configView(config) {
  if (!config || Object.keys(config).length === 0) {
    return h('p', { class: 'muted', 'data-testid': 'panel-config' }, 'no config');
  }
  return h('pre', { 'data-testid': 'panel-config' }, JSON.stringify(config, null, 2));
}

export class EnverPanel {
  // ctx: {showError(e), select(id), impact({enver}|{product}), events(): recent events,
  //       repoOf(build): the build's repository}
  constructor(ctx) {
    this.ctx = ctx;
    this.el = $('enver-panel');
    this.id = null;
    this.seq = 0; // drops answers that arrive after another enver was opened
    this.openHistory = new Set(); // product paths whose history is shown
    this.openLog = null; // deployment id whose log is shown
  }

  get current() {
    return this.id;
  }

  close() {
    this.id = null;
    this.el.hidden = true;
    this.el.replaceChildren();
  }

  async open(id) {
    if (id !== this.id) {
      this.openHistory.clear();
      this.openLog = null;
    }
    this.id = id;
    this.el.hidden = false;
    this.el.dataset.enver = id;
    if (!this.el.firstChild) this.el.append(h('p', { class: 'muted' }, 'loading ' + id + ' …'));
    await this.refresh();
  }

  async refresh() {
    if (!this.id) return;
    const id = this.id;
    const seq = ++this.seq;
    let enver;
    try {
      enver = await getJson('/api/envers/' + pathOf(id));
    } catch (e) {
      if (seq !== this.seq) return;
      this.ctx.showError(e);
      this.el.replaceChildren(this.header(id), h('p', { class: 'muted' }, e.message));
      return;
    }
    if (seq !== this.seq) return;
    const histories = await Promise.all(
      [...this.openHistory].map((p) => this.history(p).catch((e) => ({ path: p, error: e }))),
    );
    let log = null;
    if (this.openLog) {
      log = await getText('/api/deployments/' + pathOf(this.openLog) + '/log').catch((e) => e);
    }
    if (seq !== this.seq) return;
    const scroll = this.el.scrollTop;
    this.render(enver, new Map(histories.map((x) => [x.path, x])), log);
    this.el.scrollTop = scroll;
  }

  async history(path) {
    const rel = path.replace(/^\/odmd-share\//, '');
    return getJson('/api/history/products/' + pathOf(rel));
  }

  header(id) {
    return h(
      'div',
      {},
      h('button', { class: 'close', type: 'button', title: 'close', 'data-testid': 'panel-close',
        onclick: () => this.close() }, '×'),
      h('h2', { 'data-testid': 'panel-title' }, id),
    );
  }

  render(e, histories, log) {
    const kind = e.kind === 'static' ? (e.immutable ? 'tag' : 'branch') : e.kind;
    const facts = [
      ['rev', e.rev],
      ['kind', kind + (e.immutable ? ' (immutable)' : '')],
      ['build', e.build],
      ['account', e.account],
      ['region', e.region],
      ['status', e.status],
      ['commit', e.sha || '—'],
    ];
    if (e.origin) {
      facts.push(['origin', e.origin]);
      // A clone is declared in the contracts (a rev like "b..main-_b..ta") or made by an
      // "odmd: create@…" commit command (only that kind can be deleted by one).
      facts.push(['clone', e.declared ? 'declared in the contracts' : 'created by a commit command']);
    }
    const factRows = facts.map(([k, v]) =>
      h('tr', { 'data-field': k }, h('th', {}, k),
        h('td', { class: k === 'status' ? 'status-' + v : '' }, v ?? '')));

    const names = e.names || {};
    const nameRows = Object.keys(names).map((k) =>
      h('tr', {}, h('th', {}, k), h('td', { 'data-name': k }, names[k])));

    const productRows = [];
    for (const p of e.products || []) {
      const shown = this.openHistory.has(p.path);
      productRows.push(
        h('tr', { 'data-product': p.name },
          h('td', {}, p.name),
          h('td', {}, 'v' + (p.version ?? 0)),
          h('td', {}, 'r' + (p.revision ?? 0)),
          h('td', {},
            h('button', { type: 'button', 'data-testid': 'product-history',
              onclick: () => this.toggleHistory(p.path) }, shown ? 'hide' : 'history'),
            ' ',
            h('button', { type: 'button', 'data-testid': 'product-impact',
              onclick: () => this.ctx.impact({ product: p.path }) }, 'impact'))));
      if (shown) productRows.push(h('tr', {}, h('td', { colspan: 4 }, historyTable(histories.get(p.path)))));
    }

    const consumerRows = (e.consumers || []).map((c) => {
      const state = c.placeholder ? 'placeholder'
        : c.outdated || c.consumed_version < c.latest_version ? 'outdated'
        : c.consumed_version >= 1 ? 'current' : 'pending';
      return h('tr', { 'data-consumer': c.name, 'data-state': state },
        h('td', {}, c.name),
        h('td', {}, c.producer || c.path),
        h('td', {}, `${c.consumed_version} / ${c.latest_version}`),
        h('td', { class: 'state-' + state }, state),
        h('td', {}, c.reaction));
    });

    const deploymentRows = [];
    for (const d of e.deployments || []) {
      deploymentRows.push(
        h('tr', { 'data-deployment': d.id },
          h('td', {}, h('a', { href: '#', 'data-testid': 'deployment-log-link', onclick: (ev) => {
            ev.preventDefault();
            this.openLog = this.openLog === d.id ? null : d.id;
            this.refresh();
          } }, d.id)),
          h('td', { class: 'status-' + d.state }, d.state),
          h('td', {}, d.cause ? d.cause.kind : ''),
          h('td', {}, time(d.finished_at_ms || d.started_at_ms || d.queued_at_ms))));
      if (this.openLog === d.id) {
        const text = log instanceof Error ? log.message : log || '(empty log)';
        deploymentRows.push(h('tr', {}, h('td', { colspan: 4 },
          h('pre', { 'data-testid': 'deployment-log' }, text))));
      }
    }

    const clones = e.clones || [];
    const cloneList = clones.length
      ? h('ul', {}, clones.map((c) => h('li', {}, h('a', { href: '#', onclick: (ev) => {
        ev.preventDefault();
        this.ctx.select(c);
      } }, c))))
      : h('p', { class: 'muted' }, 'no clones');

    const mine = new Set([e.id, ...clones]);
    // Commit commands name no enver (a rejected one may create none): those of the build's
    // repository are shown with each of its envers.
    const repo = this.ctx.repoOf(e.build);
    const events = this.ctx.events().filter((ev) => mine.has(ev.enver) ||
      (repo && String(ev.kind).startsWith('command.') && ev.fields && ev.fields.repo === repo))
      .slice(-EVENTS_SHOWN).reverse();
    const eventRows = events.map((ev) => {
      const f = ev.fields || {};
      const rejected = ev.kind === 'command.rejected';
      const detail = [ev.message, f.command && 'command: ' + f.command, f.reason && 'reason: ' + f.reason,
        (ev.suggestion || f.suggestion) && 'suggestion: ' + (ev.suggestion || f.suggestion)]
        .filter(Boolean).join(' · ');
      return h('tr', { 'data-event': ev.kind, class: rejected ? 'ev-rejected' : '' },
        h('td', {}, time(ev.time_ms)),
        h('td', {}, ev.enver === e.id ? '' : ev.enver || (ev.fields && ev.fields.ref) || ''),
        h('td', {}, ev.kind),
        h('td', {}, detail));
    });

    this.el.replaceChildren(
      this.header(e.id),
      h('div', {},
        h('button', { type: 'button', 'data-testid': 'enver-impact',
          onclick: () => this.ctx.impact({ enver: e.id }) }, 'impact of this enver')),
      table(['', ''], factRows, { 'data-testid': 'panel-facts' }),
      h('h3', {}, 'derived names'),
      table(['name', 'value'], nameRows, { 'data-testid': 'panel-names' }),
      // ODMD_config: the build's config under the enver's top-level keys (docs/manifest.md).
      h('h3', {}, 'config'),
      configView(e.config),
      h('h3', {}, 'products'),
      productRows.length ? table(['product', 'version', 'revision', ''], productRows,
        { 'data-testid': 'panel-products' }) : h('p', { class: 'muted' }, 'produces nothing'),
      h('h3', {}, 'consumers'),
      consumerRows.length ? table(['consumer', 'producer', 'consumed / latest', 'state', 'reaction'],
        consumerRows, { 'data-testid': 'panel-consumers' }) : h('p', { class: 'muted' }, 'consumes nothing'),
      h('h3', {}, 'deployments'),
      deploymentRows.length ? table(['id', 'state', 'cause', 'time'], deploymentRows,
        { 'data-testid': 'panel-deployments' }) : h('p', { class: 'muted' }, 'no deployments'),
      h('h3', {}, 'clones'),
      h('div', { 'data-testid': 'panel-clones' }, cloneList),
      h('h3', {}, 'events (this enver and its clones)'),
      eventRows.length ? table(['time', 'clone', 'kind', 'detail'], eventRows,
        { 'data-testid': 'panel-events' }) : h('p', { class: 'muted', 'data-testid': 'panel-events' }, 'no events'),
    );
  }

  toggleHistory(path) {
    if (this.openHistory.has(path)) this.openHistory.delete(path);
    else this.openHistory.add(path);
    this.refresh();
  }
}

function historyTable(history) {
  if (!history) return h('p', { class: 'muted' }, 'loading …');
  if (history.error) return h('p', { class: 'muted' }, history.error.message);
  const rows = (history.versions || []).map((v) =>
    h('tr', { 'data-version': v.version },
      h('td', {}, 'v' + v.version),
      h('td', {}, 'r' + v.revision),
      h('td', {}, v.deleted ? '(deleted)' : v.value)));
  return table(['version', 'revision', 'value'], rows, { 'data-testid': 'product-history-table' });
}
