// History: the graph as it was at a store revision or a contracts version, and the diff of
// two contracts versions.
import { getJson } from './api.js';
import { $, h } from './dom.js';

export class History {
  // ctx: {showError(e), showHistorical(graph, label), backToLive()}
  constructor(ctx) {
    this.ctx = ctx;
    this.revision = $('history-revision');
    this.contracts = $('history-contracts');
    this.liveButton = $('history-live');
    this.versions = [];
    $('history-show').addEventListener('click', () => this.show());
    this.liveButton.addEventListener('click', () => this.ctx.backToLive());
    this.contracts.addEventListener('change', () => {
      if (this.contracts.value) this.revision.value = '';
    });
    this.revision.addEventListener('input', () => {
      if (this.revision.value) this.contracts.value = '';
    });
    $('diff-open').addEventListener('click', () => this.openDiff());
    $('diff-close').addEventListener('click', () => { $('diff-panel').hidden = true; });
    $('diff-run').addEventListener('click', () => this.diff());
  }

  // GET /api/contracts -> the version selects.
  async loadVersions() {
    try {
      const list = await getJson('/api/contracts');
      this.versions = list.versions || [];
    } catch (e) {
      this.versions = [];
      if (e.status !== 501 && e.status !== 404) this.ctx.showError(e);
    }
    const opts = () => this.versions.map((v) =>
      h('option', { value: v.version }, `${v.version} (r${v.revision})`));
    const keep = this.contracts.value;
    this.contracts.replaceChildren(h('option', { value: '' }, '—'), ...opts());
    this.contracts.value = keep;
    for (const id of ['diff-from', 'diff-to']) {
      const s = $(id);
      const k = s.value;
      s.replaceChildren(...opts());
      if (k) s.value = k;
    }
    if (this.versions.length >= 2 && !$('diff-to').dataset.touched) {
      $('diff-to').value = this.versions[0].version;
      $('diff-from').value = this.versions[1].version;
    }
  }

  async show() {
    const rev = this.revision.value.trim();
    const version = this.contracts.value;
    let query;
    let label;
    if (rev) {
      if (!/^\d+$/.test(rev) || Number(rev) < 1) {
        this.ctx.showError(new Error(`revision '${rev}' is not a positive whole number`));
        return;
      }
      query = 'revision=' + rev;
      label = 'store revision ' + rev;
    } else if (version) {
      query = 'contracts_version=' + encodeURIComponent(version);
      label = 'contracts version ' + version;
    } else {
      this.ctx.showError(new Error('pick a store revision or a contracts version first'));
      return;
    }
    try {
      const graph = await getJson('/api/graph?' + query);
      await this.ctx.showHistorical(graph, label);
      this.liveButton.hidden = false;
    } catch (e) {
      this.ctx.showError(e);
    }
  }

  liveShown() {
    this.liveButton.hidden = true;
    this.revision.value = '';
    this.contracts.value = '';
  }

  async openDiff() {
    $('diff-panel').hidden = false;
    await this.loadVersions();
  }

  async diff() {
    const from = $('diff-from').value;
    const to = $('diff-to').value;
    $('diff-to').dataset.touched = '1';
    const out = $('diff-result');
    if (!from || !to) {
      out.replaceChildren(h('p', { class: 'muted' }, 'pick two contracts versions'));
      return;
    }
    try {
      const d = await getJson('/api/contracts/diff?from=' + encodeURIComponent(from) +
        '&to=' + encodeURIComponent(to));
      const changes = d.changes || [];
      out.replaceChildren(
        h('p', {}, `${d.from} → ${d.to}: ${changes.length} change${changes.length === 1 ? '' : 's'}`),
        h('ul', { 'data-testid': 'diff-changes' }, changes.map((c) =>
          h('li', { 'data-kind': c.kind }, h('strong', {}, c.kind), ' ', c.what || '', ' ',
            h('code', {}, c.id || ''), c.detail ? ' — ' + c.detail : ''))),
        (d.impact || []).length
          ? h('p', { 'data-testid': 'diff-impact' }, 'impacted envers: ' + d.impact.join(', ')) : null,
      );
    } catch (e) {
      out.replaceChildren(h('p', { class: 'muted' }, e.message));
      this.ctx.showError(e);
    }
  }
}
