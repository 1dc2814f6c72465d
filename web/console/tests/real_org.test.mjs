// The console on a real org (issue 16): headless Debian chromium (playwright-core) against a
// real `odmd serve` of the org in real_org.mjs (long build names, four accounts, two regions,
// six consumers between two envers, a clone declared in the contracts). Checks what makes
// the graph readable for a newcomer: full build names, each enver's account and region,
// parallel edges drawn as one bundle with its count and its products on hover and on
// selection, the bundle in its members' worst state, and the declared clone drawn as a clone.
// Run by CTest as console_real_org, or by hand:
//   ODMD_BIN=build/apps/odmd/odmd node --test web/console/tests/real_org.test.mjs
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { artifactsDir, launchBrowser } from './harness.mjs';
import {
  CONSUMER, DECLARED_CLONE, PROCESSOR, PRODUCER, RESOURCES, RealOrg, SIX,
} from './real_org.mjs';

const STEP_MS = 60_000;
const sorted = (it) => [...it].sort();

let org;
let browser;
let page;
let artifacts;
const pageErrors = [];

// The lines cytoscape laid out for an element's label (zero-width break points removed),
// with the label's and the element's bounding boxes and the view's zoom.
function labelOf(id) {
  return page.evaluate((nid) => {
    const cy = window.odmd.cy;
    const n = cy.getElementById(nid);
    if (n.empty()) return null;
    const lines = n._private.rscratch.labelWrapCachedLines;
    return {
      label: n.data('label'),
      lines: lines ? lines.map((l) => l.replace(/\u200b/g, '')) : null,
      wrap: n.pstyle('text-wrap').value,
      text: n.boundingBox({ includeNodes: false, includeEdges: false, includeLabels: true }),
      box: n.boundingBox({ includeLabels: false, includeOverlays: false }),
      width: n.width(),
      zoom: cy.zoom(),
      fontPx: n.pstyle('font-size').pfValue,
    };
  }, id);
}

// A drawn element's rendered point in page coordinates (an edge: its midpoint).
function pagePoint(id) {
  return page.evaluate((eid) => {
    const cy = window.odmd.cy;
    const e = cy.getElementById(eid);
    const r = e.isEdge() ? e.renderedMidpoint() : e.renderedPosition();
    const c = cy.container().getBoundingClientRect();
    return { x: c.left + r.x, y: c.top + r.y };
  }, id);
}

describe('the console on a real org', { timeout: 240_000 }, () => {
  before(async () => {
    artifacts = artifactsDir();
    org = await RealOrg.start();
    browser = await launchBrowser();
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${org.api}/#token=${org.viewerToken}`);
    await page.evaluate(() => window.odmd.ready);
  }, { timeout: STEP_MS });

  after(async () => {
    if (browser) await browser.close().catch(() => {});
    if (org) await org.stop();
  });

  test('the org is what the test needs', async () => {
    const g = await org.graph();
    const builds = g.builds.map((b) => b.id);
    assert.ok(builds.filter((b) => b.length > 30).length >= 2, `builds: ${builds}`);
    assert.ok(new Set(g.envers.map((e) => e.account)).size >= 3, 'fewer than 3 accounts');
    assert.ok(new Set(g.envers.map((e) => e.region)).size >= 2, 'fewer than 2 regions');
    const six = g.edges.filter((e) => e.source === PRODUCER && e.target === CONSUMER);
    assert.equal(six.length, 6, JSON.stringify(six));
    const clone = g.envers.find((e) => e.id === DECLARED_CLONE);
    assert.ok(clone, `${DECLARED_CLONE} missing from GET /api/graph`);
    assert.equal(clone.kind, 'clone', `GET /api/graph: ${JSON.stringify(clone)}`);
    assert.equal(clone.declared, true, JSON.stringify(clone));
    assert.equal(clone.origin, CONSUMER, JSON.stringify(clone));
    // It inherits its origin's consumers: six more edges from the same producer.
    assert.equal(g.edges.filter((e) => e.source === PRODUCER && e.target === DECLARED_CLONE).length,
      6);
    assert.equal(await page.evaluate(() => window.odmd.fast), false);
  });

  test('build names are drawn in full, on one line, at normal zoom', async () => {
    await page.locator('[data-testid="fit"]').click();
    for (const build of [RESOURCES, PROCESSOR, 'contracts']) {
      const l = await labelOf(`build:${build}`);
      assert.ok(l, `build group ${build} is not drawn`);
      assert.equal(l.label, build);
      assert.notEqual(l.wrap, 'ellipsis', `${build}: its label is cut with an ellipsis`);
      assert.deepEqual(l.lines, [build], `${build} is drawn as ${JSON.stringify(l.lines)}`);
      // The text fits over its group: nothing of it runs into a neighbour.
      assert.ok(l.text.x1 >= l.box.x1 - 1 && l.text.x2 <= l.box.x2 + 1,
        `${build}: label ${JSON.stringify(l.text)} is wider than its group ` +
        JSON.stringify(l.box));
      // Readable: at least 8 px on screen after "fit".
      assert.ok(l.fontPx * l.zoom >= 8, `${build}: ${l.fontPx} px at zoom ${l.zoom}`);
    }
  });

  test('every enver shows its rev, account and region inside its node', async () => {
    const g = await org.graph();
    for (const e of g.envers) {
      const l = await labelOf(e.id);
      assert.ok(l, `${e.id} is not drawn`);
      assert.deepEqual(l.lines, [e.rev, `${e.account_name} · ${e.region}`], e.id);
      assert.ok(l.text.x1 >= l.box.x1 && l.text.x2 <= l.box.x2,
        `${e.id}: label ${JSON.stringify(l.text)} overflows its node ${JSON.stringify(l.box)}`);
      // A clone's tag shape narrows to a point at its right end: the text stays before it.
      if (e.kind === 'clone') {
        assert.ok(l.text.x2 <= l.box.x2 - 12,
          `${e.id}: label ${JSON.stringify(l.text)} runs into the tag's point ` +
          JSON.stringify(l.box));
      }
    }
    await page.screenshot({ path: path.join(artifacts, 'console-real-org.png') });
  });

  test('six consumers between two envers are one edge, ×6, with their products', async () => {
    const g = await org.graph();
    const members = g.edges.filter((e) => e.source === PRODUCER && e.target === CONSUMER);
    const drawn = await page.evaluate(([s, t]) => window.odmd.cy.edges()
      .filter((e) => e.data('source') === s && e.data('target') === t)
      .map((e) => ({ id: e.id(), count: e.data('count'), label: e.data('label'),
        bundle: e.hasClass('bundle'), state: e.data('state'),
        members: e.data('members').map((m) => m.id) })), [PRODUCER, CONSUMER]);
    assert.equal(drawn.length, 1, `drawn: ${JSON.stringify(drawn)}`);
    const bundle = drawn[0];
    assert.equal(bundle.count, 6);
    assert.equal(bundle.label, '×6');
    assert.ok(bundle.bundle);
    assert.deepEqual(sorted(bundle.members), sorted(members.map((e) => e.id)));
    // Every member stays in the page's data and leads to its bundle.
    for (const e of members) {
      assert.deepEqual(await page.evaluate((id) => window.odmd.edge(id), e.id), e);
      assert.equal(await page.evaluate((id) => window.odmd.drawnEdge(id), e.id), bundle.id);
    }
    // Hover: the tooltip names every consumer and the product it reads.
    const want = sorted(members.map((e) => `${e.consumer} ← ${e.product}`));
    assert.deepEqual(sorted(SIX.map((p) => `${p}In ← ${p}`)), want);
    const mid = await pagePoint(bundle.id);
    await page.mouse.move(mid.x, mid.y);
    const tip = page.locator('[data-testid="edge-tip"]');
    await tip.waitFor({ state: 'visible', timeout: 5_000 });
    assert.equal(await tip.getAttribute('data-edge'), bundle.id);
    const lines = await tip.locator('[data-testid="edge-tip-product"]').allTextContents();
    assert.deepEqual(sorted(lines), want);
    await page.screenshot({ path: path.join(artifacts, 'console-bundle-hover.png') });
    // Selection: the edge box lists each member with its product and state.
    await page.mouse.click(mid.x, mid.y);
    const box = page.locator('[data-testid="edge-info"]');
    await box.waitFor({ state: 'visible', timeout: 5_000 });
    assert.equal(await box.getAttribute('data-edge'), bundle.id);
    const rows = await box.locator('tr[data-member]').evaluateAll((trs) => trs.map((tr) =>
      [tr.dataset.member, ...[...tr.querySelectorAll('td')].slice(0, 2).map((td) => td.textContent),
        tr.dataset.state]));
    assert.deepEqual(sorted(rows.map((r) => r.join(' '))),
      sorted(members.map((e) => [e.id, e.consumer, e.product, e.state].join(' '))));
    // Off the edge (an empty corner of the graph), then out of the graph: no tooltip.
    const g2 = await page.locator('[data-testid="graph"]').boundingBox();
    await page.mouse.move(mid.x, mid.y);
    await tip.waitFor({ state: 'visible', timeout: 5_000 });
    await page.mouse.move(g2.x + g2.width - 8, g2.y + g2.height - 8, { steps: 5 });
    await tip.waitFor({ state: 'hidden', timeout: 5_000 });
    await page.mouse.move(mid.x, mid.y);
    await tip.waitFor({ state: 'visible', timeout: 5_000 });
    await page.mouse.move(g2.x + 8, g2.y - 20);
    await tip.waitFor({ state: 'hidden', timeout: 5_000 });
  });

  test('a bundle takes its worst member state, live', async () => {
    const bundle = await page.evaluate(([s, t]) => window.odmd.cy.edges()
      .filter((e) => e.data('source') === s && e.data('target') === t)[0].id(),
    [PRODUCER, CONSUMER]);
    assert.equal(await page.evaluate((id) => window.odmd.cy.getElementById(id).data('state'),
      bundle), 'pending');
    // One new product version: its consumer's edge turns outdated, the other five stay
    // pending; the bundle shows outdated (worse than pending) and the open box follows.
    await org.server.cli(['product', 'put', `${PRODUCER}/queueUrl`, 'https://queue.example/1']);
    await page.waitForFunction((id) => {
      const e = window.odmd.cy.getElementById(id);
      return e.data('state') === 'outdated' && e.hasClass('outdated');
    }, bundle, { timeout: 10_000 });
    const g = await org.graph();
    const states = g.edges.filter((e) => e.source === PRODUCER && e.target === CONSUMER)
      .map((e) => `${e.consumer}:${e.state}`);
    assert.deepEqual(sorted(states), sorted(SIX.map((p) =>
      `${p}In:${p === 'queueUrl' ? 'outdated' : 'pending'}`)));
    const box = page.locator('[data-testid="edge-info"]');
    await page.waitForFunction(() => document.querySelector(
      '[data-testid="edge-info"] tr[data-member$="#queueUrlIn"]')?.dataset.state === 'outdated',
    null, { timeout: 10_000 });
    assert.equal(await box.locator('tr[data-state="pending"]').count(), 5);
    await page.screenshot({ path: path.join(artifacts, 'console-bundle-selected.png') });
    await page.locator('[data-testid="edge-info-close"]').click();
    await box.waitFor({ state: 'hidden', timeout: 5_000 });
  });

  test('the declared clone is drawn as a clone beside its origin, and the panel says so',
    async () => {
      const d = await page.evaluate(([c, o]) => {
        const cy = window.odmd.cy;
        const view = (id) => {
          const n = cy.getElementById(id);
          return { classes: n.classes(), shape: n.pstyle('shape').value,
            border: n.pstyle('border-style').value, color: n.pstyle('background-color').strValue,
            pos: n.position(), h: n.height(), parent: n.data('parent'), origin: n.data('origin') };
        };
        return { clone: view(c), origin: view(o) };
      }, [DECLARED_CLONE, CONSUMER]);
      const { clone, origin } = d;
      assert.ok(clone.classes.includes('clone') && clone.classes.includes('declared'),
        `classes: ${clone.classes}`);
      assert.equal(clone.origin, CONSUMER);
      // The clone shape and colour (those of a clone made by a commit command, see
      // console.test.mjs), a solid border instead of a dashed one.
      assert.equal(clone.shape, 'round-tag');
      assert.notEqual(origin.shape, 'round-tag');
      assert.notEqual(clone.color, origin.color);
      assert.equal(clone.border, 'solid');
      assert.equal(clone.parent, `build:${PROCESSOR}`);
      // Beside its origin: same layer (x), the next place above or below.
      assert.ok(Math.abs(clone.pos.x - origin.pos.x) < 1, JSON.stringify(d));
      const gap = Math.abs(clone.pos.y - origin.pos.y);
      assert.ok(gap > 0 && gap <= 2 * (origin.h + 14), `the clone is ${gap} px from its origin`);
      // The panel: a clone, declared in the contracts.
      const p = await pagePoint(DECLARED_CLONE);
      await page.mouse.click(p.x, p.y);
      const facts = page.locator('#enver-panel [data-testid="panel-facts"]');
      await facts.locator('tr[data-field="clone"]').waitFor({ timeout: 10_000 });
      assert.equal(await facts.locator('tr[data-field="clone"] td').textContent(),
        'declared in the contracts');
      assert.equal(await facts.locator('tr[data-field="origin"] td').textContent(), CONSUMER);
      assert.equal(await facts.locator('tr[data-field="kind"] td').textContent(), 'clone');
      await page.screenshot({ path: path.join(artifacts, 'console-declared-clone.png') });
      await page.locator('[data-testid="panel-close"]').click();
    });

  test('search, filters and impact work with a bundle', async () => {
    // The account filter keeps only that account's envers (the bundle's ends are both in
    // workspace0, so it stays drawn); another account's filter hides it with its ends.
    const bundle = await page.evaluate((id) => window.odmd.drawnEdge(id), `${CONSUMER}#queueUrlIn`);
    // cytoscape draws an edge when it and both its ends are displayed.
    const drawnNow = (id) => page.evaluate((eid) => {
      const e = window.odmd.cy.getElementById(eid);
      return {
        drawn: e.nonempty() && e.pstyle('display').value === 'element' &&
          e.connectedNodes().every((n) => n.pstyle('display').value === 'element'),
        ends: e.connectedNodes().map((n) => `${n.id()}: ${n.classes().join(' ')}`),
        filter: document.querySelector('[data-testid="filter-account"]').value,
      };
    }, id);
    for (const [account, want] of [['200000000002', true], ['300000000003', false]]) {
      await page.locator('[data-testid="filter-account"]').selectOption(account);
      const got = await drawnNow(bundle);
      assert.equal(got.drawn, want, `account ${account}: ${JSON.stringify(got)}`);
    }
    await page.locator('[data-testid="filter-account"]').selectOption('');
    // The impact of the producer marks the bundle (its members are in the API's answer).
    const impact = (await org.server.get(`/api/impact?enver=${encodeURIComponent(PRODUCER)}`,
      org.viewerToken)).json;
    assert.ok(impact.edges.includes(`${CONSUMER}#queueUrlIn`), JSON.stringify(impact));
    await page.locator('[data-testid="search"]').fill(PRODUCER);
    await page.locator('[data-testid="search"]').press('Enter');
    await page.waitForFunction((id) => window.odmd.cy.getElementById(id).hasClass('found'),
      PRODUCER, { timeout: 5_000 });
    const p = await pagePoint(PRODUCER);
    await page.mouse.click(p.x, p.y);
    await page.locator('[data-testid="enver-impact"]').click();
    await page.waitForFunction((id) => window.odmd.cy.getElementById(id).hasClass('impacted'),
      bundle, { timeout: 5_000 });
    // With the enver panel open, the edge box opens beside it, not over it.
    // (The arrow returns nothing: a returned collection would be serialized, cy and all.)
    await page.evaluate((id) => { window.odmd.cy.getElementById(id).emit('tap'); }, bundle);
    const box = page.locator('[data-testid="edge-info"]');
    await box.waitFor({ state: 'visible', timeout: 5_000 });
    const [boxAt, panelAt] = [await box.boundingBox(),
      await page.locator('[data-testid="enver-panel"]').boundingBox()];
    assert.ok(boxAt.x + boxAt.width <= panelAt.x + 1,
      `the edge box ${JSON.stringify(boxAt)} covers the panel ${JSON.stringify(panelAt)}`);
    await page.locator('[data-testid="edge-info-close"]').click();
    await page.locator('[data-testid="impact-clear"]').click();
    await page.locator('[data-testid="panel-close"]').click();
  });

  test('the legend explains the marks and folds away', async () => {
    const legend = page.locator('[data-testid="legend"]');
    const text = await legend.textContent();
    for (const mark of ['clone (made by a commit command)', 'clone declared in the contracts',
      'account · region', '×6', 'worst state']) {
      assert.ok(text.includes(mark), `the legend does not explain '${mark}': ${text}`);
    }
    await page.locator('[data-testid="legend-toggle"]').click();
    await page.locator('#legend-items').waitFor({ state: 'hidden', timeout: 5_000 });
    await page.locator('[data-testid="legend-toggle"]').click();
    await page.locator('#legend-items').waitFor({ state: 'visible', timeout: 5_000 });
  });

  test('no script errors in the page', () => {
    assert.deepEqual(pageErrors, []);
  });
});
