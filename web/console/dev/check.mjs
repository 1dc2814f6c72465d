// Drives the console against dev/server.mjs: panel, live outdated flip, new clone placement,
// historical view, token prompt, fast-mode edges on zoom. Prints what it saw.
//   node dev/check.mjs http://127.0.0.1:8089 [OUTDIR]
import { chromium } from 'playwright-core';

const base = process.argv[2];
const outdir = process.argv[3] || '/tmp';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
page.on('pageerror', (e) => console.log('pageerror:', e.message));
const ok = (cond, what) => console.log((cond ? 'ok   ' : 'FAIL ') + what);

// No token: the prompt, no broken page.
await page.goto(base + '/');
await page.waitForSelector('[data-testid=token-prompt]:not([hidden])');
ok(true, 'token prompt without a token');
await page.fill('[data-testid=token-input]', 'wrong');
await page.click('[data-testid=token-submit]');
await page.waitForFunction(() => document.getElementById('token-reason').textContent.includes('refused'));
ok(true, 'a refused token brings the prompt back with the reason');
await page.fill('[data-testid=token-input]', 'dev');
await page.click('[data-testid=token-submit]');
await page.evaluate(() => window.odmd.ready);
ok(await page.evaluate(() => window.location.hash === ''), 'no token in the address bar');

// Token from the fragment.
await page.goto(base + '/#token=dev');
await page.evaluate(() => window.odmd.ready);
ok(await page.evaluate(() => window.location.hash === ''), '#token= removed from the address bar');
const fast = await page.evaluate(() => window.odmd.fast);
const first = await page.evaluate(() => {
  const g = window.odmd.graph;
  return { edge: g.edges[0].id, clone: g.envers.find((e) => e.kind === 'clone'),
    origin: g.envers.find((e) => e.kind === 'branch' && g.edges.some((x) => x.target === e.id)).id };
});
if (!fast) {
  // Clones beside their origin: same x, nearest rows.
  const beside = await page.evaluate((id) => {
    const c = window.odmd.cy.getElementById(id);
    const o = window.odmd.cy.getElementById(c.data('origin'));
    return { dx: Math.abs(c.position('x') - o.position('x')), dy: Math.abs(c.position('y') - o.position('y')) };
  }, first.clone.id);
  ok(beside.dx < 1 && beside.dy < 100, 'clone beside its origin ' + JSON.stringify(beside));
}
// Panel.
await page.evaluate((id) => { window.odmd.cy.getElementById(id).emit('tap'); }, first.origin);
await page.waitForSelector('#enver-panel [data-name=stack_name]');
ok(true, 'panel shows derived names: ' + await page.textContent('#enver-panel [data-name=stack_name]'));
await page.screenshot({ path: outdir + '/panel.png' });

// Live: a product bump flips the edge to outdated.
const target = await page.evaluate(() => window.odmd.graph.edges.find((e) => e.state === 'current').id);
const t0 = Date.now();
await fetch(base + '/dev/bump?edge=' + encodeURIComponent(target), { method: 'POST' });
await page.waitForFunction((id) => {
  const e = window.odmd.edge(id);
  const drawn = window.odmd.cy.getElementById(id);
  return e && e.state === 'outdated' && (drawn.empty() || drawn.hasClass('outdated'));
}, target, { timeout: 5000 });
ok(Date.now() - t0 < 1000, `edge outdated after ${Date.now() - t0} ms without reload`);

// Live: a new clone appears beside its origin.
const t1 = Date.now();
const res = await (await fetch(base + '/dev/clone?origin=' + encodeURIComponent(first.origin) + '&name=b..hotfix', { method: 'POST' })).json();
await page.waitForFunction((id) => window.odmd.cy.getElementById(id).nonempty(), res.id, { timeout: 5000 });
const pos = await page.evaluate((id) => {
  const c = window.odmd.cy.getElementById(id);
  const o = window.odmd.cy.getElementById(c.data('origin'));
  return { dx: Math.abs(c.position('x') - o.position('x')), dy: Math.abs(c.position('y') - o.position('y')) };
}, res.id);
ok(pos.dx < 1 && pos.dy < 200, `new clone ${res.id} drawn after ${Date.now() - t1} ms beside its origin ${JSON.stringify(pos)}`);

// History.
await page.fill('[data-testid=history-revision]', '50');
await page.click('[data-testid=history-show]');
await page.waitForSelector('[data-testid=history-banner]:not([hidden])');
ok(await page.evaluate(() => window.odmd.historical), 'historical view with banner: ' + await page.textContent('[data-testid=history-banner]'));
await page.screenshot({ path: outdir + '/history.png' });
await page.click('[data-testid=history-live]');
await page.waitForFunction(() => !window.odmd.historical);
ok(true, 'back to live');

// Impact.
await page.evaluate((id) => { window.odmd.cy.getElementById(id).emit('tap'); }, first.origin);
await page.click('[data-testid=enver-impact]');
await page.waitForSelector('[data-testid=impact-clear]:not([hidden])');
ok(await page.evaluate(() => window.odmd.cy.$('.impacted').length > 0), 'impact highlights');
await page.screenshot({ path: outdir + '/impact.png' });

// Search, filters, diff, a deployment's log.
await page.click('[data-testid=impact-clear]');
await page.fill('[data-testid=search]', first.origin);
await page.press('[data-testid=search]', 'Enter');
ok(await page.evaluate((id) => window.odmd.cy.getElementById(id).hasClass('found'), first.origin), 'search finds and highlights ' + first.origin);
const b = first.origin.split('/')[0];
await page.selectOption('[data-testid=filter-build]', b);
const shown = await page.evaluate(() => window.odmd.cy.nodes().filter((n) => !n.hasClass('build') && !n.hasClass('filtered-out')).map((n) => n.data('build')));
ok(shown.length > 0 && shown.every((x) => x === b), `build filter shows only ${b} (${shown.length})`);
await page.selectOption('[data-testid=filter-build]', '');
await page.click('[data-testid=diff-open]');
await page.click('[data-testid=diff-run]');
await page.waitForSelector('[data-testid=diff-changes] li');
ok(true, 'diff lists changes: ' + (await page.textContent('[data-testid=diff-changes]')).slice(0, 80));
await page.click('#diff-close');
await page.evaluate((id) => { window.odmd.cy.getElementById(id).emit('tap'); }, first.origin);
await page.click('[data-testid=deployment-log-link]');
await page.waitForSelector('[data-testid=deployment-log]');
ok(true, 'deployment log: ' + JSON.stringify((await page.textContent('[data-testid=deployment-log]')).slice(0, 40)));
await page.click('[data-testid=product-history]');
await page.waitForSelector('[data-testid=product-history-table]');
ok(true, 'product history shown');
await page.screenshot({ path: outdir + '/panel2.png' });

if (fast) {
  const n = await page.evaluate(async () => {
    const cy = window.odmd.cy;
    cy.zoom({ level: 1.2, position: cy.nodes()[2500].position() });
    await new Promise((r) => setTimeout(r, 400));
    return cy.edges().length;
  });
  ok(n > 0, `fast mode: ${n} edges drawn after zooming in`);
  await page.screenshot({ path: outdir + '/zoomed.png' });
}
await browser.close();
