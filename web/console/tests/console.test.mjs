// The console in a real browser (issue 6, "Tests in a real browser"): headless Debian
// chromium driven by playwright-core against the demo org on an `odmd serve` started by the
// harness. Run by CTest as console_browser (web/console/tests/CMakeLists.txt), or by hand:
//   ODMD_BIN=build/apps/odmd/odmd node --test web/console/tests/console.test.mjs
// The tests run in order on one server and one page: the graph, the enver panel, a product
// change turning an edge outdated live, a clone appearing live, then the refusals.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Demo, ROOT, artifactsDir, http, launchBrowser, run } from './harness.mjs';

const STEP_MS = 120_000;

// The demo org's manifest, read from the examples (not from the server): the envers and the
// producer -> consumer edges the graph must show whatever the API says.
function manifestGraph() {
  const m = JSON.parse(
    fs.readFileSync(path.join(ROOT, 'examples/platform/contracts/manifest.json'), 'utf8'));
  const envers = new Set();
  const edges = new Set();
  for (const b of m.builds) {
    for (const e of b.envers) {
      const id = `${b.id}/${e.rev}`;
      envers.add(id);
      for (const c of e.consumers) edges.add(`${c.producer}->${id}#${c.name}`);
    }
  }
  return { envers, edges };
}

const sorted = (it) => [...it].sort();

let demo;
let browser;
let context;
let page;
let artifacts;
const pageErrors = [];
let navigations = 0;
// The store revision of the live graph just before the clone test created its clone.
let revisionBeforeClone;

// The enver nodes (not the build groups) and edges the page draws; a bundle (several
// consumers between the same two envers, drawn as one edge) counts as its member edges.
function drawn() {
  return page.evaluate(() => {
    const cy = window.odmd.cy;
    return {
      envers: cy.nodes().filter((n) => !n.hasClass('build')).map((n) => ({
        id: n.id(), kind: n.data('kind'), origin: n.data('origin'), parent: n.data('parent'),
        pos: n.position(), w: n.width(), h: n.height(), visible: n.visible(),
      })),
      edges: cy.edges().map((e) => (e.data('bundle') ? e.data('members') : [e.data()])
        .map((m) => ({
          id: m.id, source: e.data('source'), target: e.data('target'), state: m.state,
          reaction: m.reaction, consumer: m.consumer,
        }))).flat(),
    };
  });
}

// Where `id` is on the screen: its rendered position plus the graph container's offset.
async function screenPoint(id) {
  const p = await page.evaluate((nid) => {
    const n = window.odmd.cy.getElementById(nid);
    if (n.empty()) return null;
    const r = n.renderedPosition();
    const c = window.odmd.cy.container().getBoundingClientRect();
    return { x: c.left + r.x, y: c.top + r.y, cw: c.width, ch: c.height, rx: r.x, ry: r.y };
  }, id);
  assert.ok(p, `node ${id} is not in the graph`);
  assert.ok(p.rx > 0 && p.ry > 0 && p.rx < p.cw && p.ry < p.ch,
    `node ${id} is drawn outside the graph's ${p.cw}x${p.ch} area (at ${p.rx},${p.ry})`);
  return p;
}

// Clicks enver `id` with the real mouse and waits until the panel shows it. The view may
// still be animating (search centres with an animation), so each try waits for it to stop
// and reads the node's position then; a click that missed is tried again.
async function openPanel(id) {
  for (let attempt = 1; ; attempt++) {
    await page.waitForFunction(() => !window.odmd.cy.animated(), null, { timeout: 10_000 });
    const p = await screenPoint(id);
    await page.mouse.click(p.x, p.y);
    try {
      await page.waitForFunction((nid) => document.querySelector('#enver-panel')
        ?.getAttribute('data-enver') === nid &&
        document.querySelector('#enver-panel [data-name="stack_name"]'), id, { timeout: 5_000 });
      return;
    } catch (e) {
      if (attempt >= 3) throw e;
    }
  }
}

describe('odmd console in headless chromium', { timeout: 280_000 }, () => {
  before(async () => {
    artifacts = artifactsDir();
    demo = await Demo.start();
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('framenavigated', (f) => { if (f === page.mainFrame()) navigations++; });
    await page.goto(`${demo.api}/#token=${demo.viewerToken}`);
    await page.evaluate(() => window.odmd.ready);
    // Set once: a reload or a new navigation would lose it. The count starts now (removing
    // the token from the address bar is a same-document navigation of its own).
    await page.evaluate(() => { window.__e2eSamePage = true; });
    navigations = 0;
  }, { timeout: STEP_MS });

  after(async () => {
    if (browser) await browser.close().catch(() => {});
    if (demo) await demo.stop({ keepLog: true });
  });

  test('the token left the address bar', async () => {
    assert.ok(!page.url().includes('token='), `the address bar still has the token: ${page.url()}`);
  });

  test('the first graph came from the request boot.js started before the bundle', async () => {
    // boot.js (the page's first script) sends GET /api/graph while app.js loads; the bundle
    // takes that response instead of asking again once it runs (docs/console.md, Large orgs).
    const early = await page.evaluate(() => window.odmd.state.earlyGraph);
    assert.equal(early, true, 'the bundle requested the graph itself: boot.js sent nothing, ' +
      'or its response was not taken');
  });

  test('the graph shows the demo org\'s envers and edges', async () => {
    const api = await demo.server.get('/api/graph', demo.viewerToken);
    assert.equal(api.status, 200, api.text);
    const g = api.json;
    const fromApi = {
      envers: new Set(g.envers.map((e) => e.id)),
      edges: new Set(g.edges.map((e) => `${e.source}->${e.id}`)),
    };
    // The API against the examples, so a broken API cannot make the page look right.
    const m = manifestGraph();
    assert.deepEqual(sorted(fromApi.envers), sorted(m.envers));
    assert.deepEqual(sorted(fromApi.edges), sorted(m.edges));
    for (const id of ['networking/b..main', 'logging/b..main', 'orderManager/b..main',
      'orderManager/t..v1.0.0', 'inventory/t..v1.0.0', 'dashboard/b..main']) {
      assert.ok(fromApi.envers.has(id), `${id} missing from GET /api/graph`);
    }
    for (const edge of ['networking/b..main->logging/b..main#hostedZone',
      'logging/b..main->networking/b..main#logBucket',
      'orderManager/b..main->dashboard/b..main#orderApi',
      'inventory/t..v1.0.0->orderManager/t..v1.0.0#inventoryApi']) {
      assert.ok(fromApi.edges.has(edge), `${edge} missing from GET /api/graph`);
    }
    assert.equal(m.envers.size, 8);
    assert.equal(m.edges.size, 7);

    const d = await drawn();
    assert.deepEqual(sorted(d.envers.map((n) => n.id)), sorted(m.envers));
    assert.deepEqual(sorted(d.edges.map((e) => `${e.source}->${e.id}`)), sorted(m.edges));
    // Data mirrors the JSON: kinds, edge states and reactions.
    const kind = Object.fromEntries(d.envers.map((n) => [n.id, n.kind]));
    assert.equal(kind['orderManager/t..v1.0.0'], 'tag');
    assert.equal(kind['orderManager/b..main'], 'branch');
    for (const e of g.edges) {
      const de = d.edges.find((x) => x.id === e.id);
      assert.equal(de.state, e.state, `edge ${e.id}`);
      assert.equal(de.reaction, e.reaction, `edge ${e.id}`);
    }
    // After the bootstrap every edge is current; the dashboard's consumer is notify.
    assert.ok(d.edges.every((e) => e.state === 'current'), JSON.stringify(d.edges));
    assert.equal(d.edges.find((e) => e.id === 'dashboard/b..main#orderApi').reaction, 'notify');
    // Builds are groups: every enver sits in its build's group node.
    for (const n of d.envers) assert.equal(n.parent, 'build:' + n.id.split('/')[0], n.id);
    // Every enver is drawn inside the visible area.
    for (const n of d.envers) {
      assert.ok(n.visible, `${n.id} is not visible`);
      await screenPoint(n.id);
    }
    await page.screenshot({ path: path.join(artifacts, 'console-graph.png') });
  });

  test('the status bar names the leader replica and its epoch', async () => {
    const health = (await http(`${demo.api}/api/health`)).json;
    assert.ok(health.leader && health.leader.is_this_replica, JSON.stringify(health));
    await page.waitForFunction(() => /epoch/.test(
      document.querySelector('[data-testid=leader]').textContent), null, { timeout: 10_000 });
    const bar = await page.evaluate(() => {
      const el = document.querySelector('[data-testid=leader]');
      return { text: el.textContent, title: el.title, cls: el.className };
    });
    assert.equal(bar.text, `leader ${health.leader.replica} · epoch ${health.leader.epoch} · ` +
      'this server');
    assert.match(bar.title, new RegExp(`leader {2}heartbeat \\d`));
    assert.ok(!/warn|bad/.test(bar.cls), bar.cls);
  });

  test('clicking an enver opens its panel with the derived names', async () => {
    const id = 'orderManager/b..main';
    const p = await screenPoint(id);
    await page.mouse.click(p.x, p.y);
    const panel = page.locator('#enver-panel');
    await panel.locator('[data-name="stack_name"]').waitFor({ timeout: 10_000 });
    assert.equal(await panel.getAttribute('data-enver'), id);
    assert.equal(await panel.locator('[data-testid="panel-title"]').textContent(), id);
    // The names in the panel are the CLI's (odmd enver --json against the same server).
    const cli = await demo.server.cliJson(['enver', id]);
    const names = Object.entries(cli.names);
    assert.ok(names.length >= 3, `odmd enver ${id} --json has few names: ${JSON.stringify(cli.names)}`);
    for (const [k, v] of names) {
      const cell = panel.locator(`td[data-name="${k}"]`);
      assert.equal(await cell.textContent(), String(v), `derived name ${k}`);
    }
    // Its config is the API's (ODMD_config; the demo org declares none).
    const config = panel.locator('[data-testid="panel-config"]');
    assert.deepEqual(cli.config, {});
    assert.equal(await config.textContent(), 'no config');
    // Literal values: the model's naming, independent of the server.
    assert.equal(await panel.locator('td[data-name="stack_name"]').textContent(),
      'orderManager--main');
    const facts = panel.locator('[data-testid="panel-facts"]');
    assert.equal(await facts.locator('tr[data-field="account"] td').textContent(), 'workspace1');
    assert.equal(await facts.locator('tr[data-field="rev"] td').textContent(), 'b..main');
    // Its three consumers, current after the bootstrap.
    const consumers = panel.locator('[data-testid="panel-consumers"] tr[data-consumer]');
    assert.deepEqual(sorted(await consumers.evaluateAll((rows) => rows.map((r) =>
      r.dataset.consumer + ':' + r.dataset.state))),
    ['hostedZone:current', 'inventoryApi:current', 'logBucket:current']);
    await page.screenshot({ path: path.join(artifacts, 'console-enver-panel.png') });
  });

  test('a product change through the CLI turns the notify edge outdated within 1 s, live',
    async () => {
      const edge = 'dashboard/b..main#orderApi';
      const before = await page.evaluate((id) => window.odmd.cy.getElementById(id).data('state'),
        edge);
      assert.equal(before, 'current');
      // Page side: the epoch time at which the edge's state became "outdated".
      await page.evaluate((id) => {
        const cy = window.odmd.cy;
        window.__outdatedAt = new Promise((resolve) => {
          const check = () => {
            const e = cy.getElementById(id);
            if (e.nonempty() && e.data('state') === 'outdated') {
              cy.off('data add', 'edge', check);
              resolve(performance.timeOrigin + performance.now());
            }
          };
          cy.on('data add', 'edge', check);
        });
      }, edge);
      const put = await demo.server.cli(['product', 'put', 'orderManager/b..main/apiUrl',
        'https://orders.e2e.example/v2']);
      const cliExit = performance.timeOrigin + put.endedAt;
      const outdatedAt = await page.evaluate(() => Promise.race([window.__outdatedAt,
        new Promise((r) => setTimeout(() => r(null), 10_000))]));
      assert.ok(outdatedAt, `edge ${edge} did not turn outdated within 10 s`);
      const ms = outdatedAt - cliExit;
      console.log(`# product put -> edge outdated in the page: ${ms.toFixed(0)} ms`);
      assert.ok(ms < 1000, `edge ${edge} turned outdated ${ms.toFixed(0)} ms after the CLI exit`);
      // The API agrees, and the page was not reloaded.
      const g = (await demo.server.get('/api/graph', demo.viewerToken)).json;
      const e = g.edges.find((x) => x.id === edge);
      assert.equal(e.state, 'outdated');
      assert.ok(e.consumed < e.latest, JSON.stringify(e));
      assert.equal(await page.evaluate(() => window.__e2eSamePage), true, 'the page was reloaded');
      assert.equal(navigations, 0, 'the page navigated again');
      // The other edges stay as they were (notify does not redeploy anything).
      await demo.waitIdle('the platform to go idle after the product change');
      const d = await drawn();
      for (const x of d.edges) {
        assert.equal(x.state, x.id === edge ? 'outdated' : 'current', x.id);
      }
      await page.screenshot({ path: path.join(artifacts, 'console-outdated.png') });
    });

  test('a clone created by a commit appears beside its origin, live', async () => {
    const origin = 'orderManager/b..main';
    const clone = 'orderManager/b..main-_b..feature-x';
    revisionBeforeClone = (await demo.server.get('/api/graph', demo.viewerToken)).json.revision;
    const om = await demo.checkout('demo/order-manager');
    await run('git', ['-C', om, 'checkout', '-q', '-b', 'feature-x']);
    await run('git', ['-C', om, 'commit', '-q', '--allow-empty', '-m', 'odmd: create@main']);
    await run('git', ['-C', om, 'push', '-q', 'origin', 'feature-x']);
    await demo.server.cli(['notify', '--repo', 'demo/order-manager']);
    await page.waitForFunction((id) => window.odmd.cy.getElementById(id).nonempty(), clone,
      { timeout: 30_000 });
    const d = await drawn();
    const c = d.envers.find((n) => n.id === clone);
    const o = d.envers.find((n) => n.id === origin);
    assert.equal(c.kind, 'clone');
    assert.equal(c.origin, origin);
    assert.equal(c.parent, 'build:orderManager');
    // Beside its origin: in the same layer (one coordinate equal, the layered layout's rank)
    // and within two node sizes along the other; no enver lies between them.
    const dx = Math.abs(c.pos.x - o.pos.x);
    const dy = Math.abs(c.pos.y - o.pos.y);
    const sameRank = dx < 1 ? 'x' : dy < 1 ? 'y' : null;
    assert.ok(sameRank, `the clone at ${JSON.stringify(c.pos)} is not in its origin's layer ` +
      `(origin at ${JSON.stringify(o.pos)})`);
    const gap = sameRank === 'x' ? dy : dx;
    const size = sameRank === 'x' ? o.h : o.w;
    assert.ok(gap > 0 && gap <= 2 * (size + 14), `the clone is ${gap} px from its origin`);
    const between = d.envers.filter((n) => n.id !== clone && n.id !== origin &&
      Math.abs(n.pos[sameRank] - o.pos[sameRank]) < 1 &&
      (sameRank === 'x' ? n.pos.y - o.pos.y : n.pos.x - o.pos.x) *
        (sameRank === 'x' ? n.pos.y - c.pos.y : n.pos.x - c.pos.x) < 0);
    assert.deepEqual(between.map((n) => n.id), [], 'envers between the clone and its origin');
    await screenPoint(clone);
    // Its consumer edges are drawn too (the origin's consumers, from the same producers).
    const g = (await demo.server.get('/api/graph', demo.viewerToken)).json;
    const want = sorted(g.edges.filter((e) => e.target === clone).map((e) => `${e.source}->${e.id}`));
    assert.deepEqual(want, [
      `inventory/b..main->${clone}#inventoryApi`,
      `logging/b..main->${clone}#logBucket`,
      `networking/b..main->${clone}#hostedZone`,
    ]);
    await page.waitForFunction((n) => window.odmd.cy.edges(`[target = "${n}"]`).length === 3,
      clone, { timeout: 10_000 });
    // Once the clone has deployed, its edges turn current in the page too (status patched).
    await demo.waitIdle('the clone to deploy');
    await page.waitForFunction((n) => {
      const cy = window.odmd.cy;
      return cy.getElementById(n).data('status') === 'succeeded' &&
        cy.edges(`[target = "${n}"]`).every((e) => e.data('state') === 'current');
    }, clone, { timeout: 10_000 });
    assert.equal(await page.evaluate(() => window.__e2eSamePage), true, 'the page was reloaded');
    assert.equal(navigations, 0, 'the page navigated again');
    // Made by a commit command: the clone's dashed border, and the panel says so.
    assert.deepEqual(await page.evaluate((n) => {
      const e = window.odmd.cy.getElementById(n);
      return [e.hasClass('dynamic'), e.hasClass('declared'), e.pstyle('border-style').value,
        e.pstyle('shape').value];
    }, clone), [true, false, 'dashed', 'round-tag']);
    await openPanel(clone);
    assert.equal(await page.locator('#enver-panel [data-testid="panel-facts"] ' +
      'tr[data-field="clone"] td').textContent(), 'created by a commit command');
    await page.locator('[data-testid="panel-close"]').click();
    await page.screenshot({ path: path.join(artifacts, 'console-clone.png') });
  });

  test('the panel shows product history, logs, clones and command events', async () => {
    const id = 'orderManager/b..main';
    await openPanel(id);
    const panel = page.locator('#enver-panel');
    // Product history: apiUrl was changed by the product test, so it has >= 2 versions, and
    // the page lists exactly the API's, newest first, with their values.
    const api = (await demo.server.get('/api/history/products/orderManager/b..main/apiUrl',
      demo.viewerToken)).json;
    assert.ok(api.versions.length >= 2, JSON.stringify(api));
    await panel.locator('tr[data-product="apiUrl"] [data-testid="product-history"]').click();
    const rows = panel.locator('[data-testid="product-history-table"] tbody tr');
    await rows.first().waitFor({ timeout: 10_000 });
    const shown = await rows.evaluateAll((trs) => trs.map((tr) =>
      [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    assert.equal(shown.length, api.versions.length);
    assert.ok(shown[0].join(' ').includes('https://orders.e2e.example/v2'), shown[0].join(' '));
    assert.ok(shown[0].join(' ').includes(String(api.versions[0].version)));
    // A deployment's log, as the API has it.
    const link = panel.locator('[data-testid="deployment-log-link"]').first();
    const deployment = await link.textContent();
    await link.click();
    const log = (await http(`${demo.api}/api/deployments/${deployment}/log`,
      { token: demo.viewerToken })).text;
    assert.ok(log.length > 0, `deployment ${deployment} has an empty log`);
    await panel.locator('[data-testid="deployment-log"]').waitFor({ timeout: 10_000 });
    assert.equal((await panel.locator('[data-testid="deployment-log"]').textContent()).trim(),
      log.trim());
    // Its clone and the commit command that made it.
    assert.ok((await panel.locator('[data-testid="panel-clones"]').textContent())
      .includes('orderManager/b..main-_b..feature-x'));
    await panel.locator('[data-testid="panel-events"] tr[data-event="command.accepted"]')
      .first().waitFor({ timeout: 10_000 });
  });

  test('search, filters and impact highlight the right envers', async () => {
    // Search by id: the enver is marked found.
    await page.locator('[data-testid="search"]').fill('networking/b..main');
    await page.locator('[data-testid="search"]').press('Enter');
    await page.waitForFunction(() =>
      window.odmd.cy.getElementById('networking/b..main').hasClass('found'), null,
    { timeout: 5_000 });
    // A build filter hides every other build's envers, and clearing it shows them again.
    await page.locator('[data-testid="filter-build"]').selectOption('inventory');
    const shownIds = () => page.evaluate(() => window.odmd.cy.nodes()
      .filter((n) => !n.hasClass('build') && !n.hasClass('filtered-out')).map((n) => n.id()).sort());
    assert.deepEqual(await shownIds(), ['inventory/b..main', 'inventory/t..v1.0.0']);
    await page.locator('[data-testid="filter-build"]').selectOption('');
    // The account and region filters leave exactly the API's envers of that account/region.
    const live = (await demo.server.get('/api/graph', demo.viewerToken)).json;
    const account = live.envers.find((e) => e.id === 'networking/b..main').account;
    await page.locator('[data-testid="filter-account"]').selectOption(account);
    assert.deepEqual(await shownIds(),
      sorted(live.envers.filter((e) => e.account === account).map((e) => e.id)));
    assert.ok((await shownIds()).length < live.envers.length, 'the account filter hid nothing');
    await page.locator('[data-testid="filter-account"]').selectOption('');
    await page.locator('[data-testid="filter-region"]').selectOption('us-west-1');
    assert.deepEqual(await shownIds(),
      sorted(live.envers.filter((e) => e.region === 'us-west-1').map((e) => e.id)));
    await page.locator('[data-testid="filter-region"]').selectOption('');
    assert.ok((await shownIds()).length >= 9);
    // Impact of networking/b..main: exactly the API's downstream envers are highlighted.
    const want = (await demo.server.get('/api/impact?enver=networking/b..main',
      demo.viewerToken)).json;
    assert.ok(want.envers.length >= 2, JSON.stringify(want));
    await openPanel('networking/b..main');
    await page.locator('[data-testid="enver-impact"]').click();
    await page.locator('[data-testid="impact-clear"]').waitFor({ state: 'visible', timeout: 5_000 });
    const impacted = await page.evaluate(() => window.odmd.cy.nodes('.impacted')
      .filter((n) => !n.hasClass('impact-root')).map((n) => n.id()).sort());
    assert.deepEqual(impacted, sorted(want.envers.map((e) => e.id)));
    assert.deepEqual(await page.evaluate(() => window.odmd.cy.nodes('.impact-root')
      .map((n) => n.id())), ['networking/b..main']);
    const dimmed = await page.evaluate(() => window.odmd.cy.nodes('.dimmed')
      .filter((n) => !n.hasClass('build')).map((n) => n.id()));
    assert.ok(dimmed.includes('inventory/t..v1.0.0'), `dimmed: ${dimmed}`);
    await page.screenshot({ path: path.join(artifacts, 'console-impact.png') });
    await page.locator('[data-testid="impact-clear"]').click();
    assert.equal(await page.evaluate(() => window.odmd.cy.nodes('.impacted, .dimmed').length), 0);
  });

  test('history: the graph at a store revision and a contracts version, and a diff',
    async () => {
      const clone = 'orderManager/b..main-_b..feature-x';
      // The revision just before the clone was created: the clone is not in that graph.
      assert.ok(revisionBeforeClone > 0, 'the clone test did not run first');
      const before = revisionBeforeClone;
      await page.locator('[data-testid="history-revision"]').fill(String(before));
      await page.locator('[data-testid="history-show"]').click();
      await page.locator('[data-testid="history-banner"]').waitFor({ state: 'visible',
        timeout: 10_000 });
      await page.waitForFunction((id) => window.odmd.historical &&
        window.odmd.cy.getElementById(id).empty(), clone, { timeout: 10_000 });
      assert.ok((await page.locator('[data-testid="history-banner"]').textContent())
        .includes(String(before)));
      const past = (await demo.server.get(`/api/graph?revision=${before}`, demo.viewerToken)).json;
      assert.deepEqual(sorted((await drawn()).envers.map((n) => n.id)),
        sorted(past.envers.map((e) => e.id)));
      // Back to live: the clone is there again.
      await page.locator('[data-testid="history-live"]').click();
      await page.waitForFunction((id) => !window.odmd.historical &&
        window.odmd.cy.getElementById(id).nonempty(), clone, { timeout: 10_000 });
      // The contracts version the demo published: the graph of the manifest alone (no clone).
      const versions = (await demo.server.get('/api/contracts', demo.viewerToken)).json;
      const version = versions.latest;
      await page.locator('[data-testid="history-contracts"]').selectOption(version);
      await page.locator('[data-testid="history-show"]').click();
      await page.waitForFunction((id) => window.odmd.historical &&
        window.odmd.cy.getElementById(id).empty(), clone, { timeout: 10_000 });
      assert.ok((await page.locator('[data-testid="history-banner"]').textContent())
        .includes(version));
      await page.locator('[data-testid="history-live"]').click();
      await page.waitForFunction(() => !window.odmd.historical, null, { timeout: 10_000 });
      // A diff of two versions (the demo has one: no changes, said so).
      await page.locator('[data-testid="diff-open"]').click();
      await page.locator('[data-testid="diff-from"]').selectOption(version);
      await page.locator('[data-testid="diff-to"]').selectOption(version);
      await page.locator('[data-testid="diff-run"]').click();
      await page.locator('[data-testid="diff-changes"]').waitFor({ state: 'attached',
        timeout: 10_000 });
      assert.ok((await page.locator('[data-testid="diff-result"]').textContent())
        .includes(`${version} → ${version}: 0 changes`));
    });

  test('the mouse wheel zooms and a drag on the background pans', async () => {
    if (await page.locator('#enver-panel').isVisible()) {
      await page.locator('[data-testid="panel-close"]').click();
    }
    await page.waitForFunction(() => !window.odmd.cy.animated(), null, { timeout: 10_000 });
    const box = await page.locator('[data-testid="graph"]').boundingBox();
    const view = () => page.evaluate(() => ({ zoom: window.odmd.cy.zoom(),
      pan: { ...window.odmd.cy.pan() } }));
    const before = await view();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    for (let i = 0; i < 5; i++) await page.mouse.wheel(0, -120);
    await page.waitForFunction((z) => window.odmd.cy.zoom() > z * 1.05, before.zoom,
      { timeout: 5_000 });
    // Drag from a corner no node covers (the view is zoomed in around the centre).
    const corner = { x: box.x + box.width - 8, y: box.y + 8 };
    const onNode = await page.evaluate(({ x, y }) => {
      const c = window.odmd.cy.container().getBoundingClientRect();
      return window.odmd.cy.nodes().some((n) => {
        const b = n.renderedBoundingBox();
        return x - c.left >= b.x1 && x - c.left <= b.x2 && y - c.top >= b.y1 && y - c.top <= b.y2;
      });
    }, corner);
    assert.ok(!onNode, 'the corner is covered by a node');
    const zoomed = await view();
    await page.mouse.move(corner.x, corner.y);
    await page.mouse.down();
    await page.mouse.move(corner.x - 150, corner.y + 80, { steps: 10 });
    await page.mouse.up();
    const panned = await view();
    assert.ok(Math.abs(panned.pan.x - zoomed.pan.x) > 50, JSON.stringify([zoomed, panned]));
    await page.locator('[data-testid="fit"]').click();
  });

  test('an unauthenticated request is refused', async () => {
    for (const token of [undefined, 'odmd_not-a-token']) {
      const r = await http(`${demo.api}/api/graph`, { token });
      assert.equal(r.status, 401, `GET /api/graph with token ${token}: ${r.text}`);
      assert.match(r.headers.get('content-type') || '', /application\/json/);
      assert.equal(r.json.error.code, 'UNAUTHENTICATED', r.text);
      assert.ok(r.json.error.message, r.text);
      assert.ok(!r.text.includes('orderManager'), 'the refusal leaks the graph');
    }
    // A fresh page without #token: the token prompt, no graph.
    const fresh = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    try {
      const p = await fresh.newPage();
      const graphAnswers = [];
      p.on('response', (res) => { if (res.url().includes('/api/graph')) graphAnswers.push(res.status()); });
      await p.goto(`${demo.api}/`);
      await p.locator('[data-testid="token-prompt"]').waitFor({ state: 'visible', timeout: 10_000 });
      assert.equal(await p.evaluate(() => window.odmd.cy), null, 'a graph was drawn without a token');
      assert.equal(await p.locator('#graph canvas').count(), 0);
      assert.ok(graphAnswers.every((s) => s === 401), `graph answers: ${graphAnswers}`);
      await p.screenshot({ path: path.join(artifacts, 'console-token-prompt.png') });
      // The viewer token typed into the prompt opens the graph.
      await p.locator('[data-testid="token-input"]').fill(demo.viewerToken);
      await p.locator('[data-testid="token-submit"]').click();
      await p.evaluate(() => window.odmd.ready);
      assert.ok(await p.evaluate(() => window.odmd.cy.nodes().length) >= 8);
    } finally {
      await fresh.close();
    }
  });

  test('no script errors in the page', () => {
    assert.deepEqual(pageErrors, []);
  });
});
