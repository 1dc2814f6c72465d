// Opens the console in headless Chromium (playwright-core, Debian's /usr/bin/chromium),
// waits for window.odmd.ready and prints the timings; optional screenshot.
//   node dev/shot.mjs URL [OUT.png] [--tap ENVER_ID]
import { chromium } from 'playwright-core';

const [url, out, ...rest] = process.argv.slice(2);
const tap = rest[0] === '--tap' ? rest[1] : null;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run',
    '--disable-component-update', '--disable-sync', '--disable-quic'] });
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
page.on('console', (m) => console.log('console:', m.text()));
page.on('pageerror', (e) => console.log('pageerror:', e.message));
const t0 = Date.now();
await page.goto(url);
await page.evaluate(() => window.odmd.ready);
const t1 = Date.now();
const info = await page.evaluate(() => ({ fetchMs: window.odmd.state.fetchMs, createMs: window.odmd.state.createMs, paintMs: window.odmd.state.paintMs, layoutMs: window.odmd.layoutMs, renderMs: window.odmd.renderMs,
  readyMs: window.odmd.readyMs, fast: window.odmd.fast, nodes: window.odmd.cy.nodes().length,
  edges: window.odmd.cy.edges().length, revision: window.odmd.revision }));
console.log(JSON.stringify({ navToReadyMs: t1 - t0, ...info }));
if (tap) {
  await page.evaluate((id) => { window.odmd.cy.getElementById(id).emit('tap'); }, tap);
  await page.waitForSelector('[data-name="stack_name"]');
}
if (out) await page.screenshot({ path: out });
await browser.close();
