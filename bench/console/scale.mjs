// The console's scale benchmark (issue 6, "Scale"). Writes a synthetic org into a fresh store
// (odmd_console_fixture: 1,000 builds = 5,000 envers, ~50,000 edges by default), serves it with
// `odmd serve` (no repos: nothing to bootstrap) and prints, each with its target and
// PASS/MISS:
//   (a) GET /api/graph: server response time p50/p95 over --requests requests (after one cold
//       request, printed apart), and the JSON size;                        target < 200 ms
//   (b) headless chromium: navigation -> interactive graph (window.odmd.ready resolved),
//       with the page's layout time, over --runs fresh pages;              target < 3 s
//   (c) wrk -t2 -c16 -d<--wrk-duration> on GET /api/health and on authenticated small reads
//       (GET /api/deployments?limit=1 and GET /api/contracts with a viewer token);
//                                                                          target >= 20,000 req/s
// Exits 0 with "console bench done" when every measurement ran (a MISS is a figure, not a
// failure); 1 when something could not be measured.
//
//   node bench/console/scale.mjs --odmd=BUILD/apps/odmd/odmd
//        --fixture=BUILD/bench/console/odmd_console_fixture
//        [--builds=1000] [--consumers=10] [--requests=20] [--runs=3] [--wrk-duration=5s]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { Server, launchBrowser, run, waitFor } from '../../web/console/tests/harness.mjs';

const READY_TIMEOUT_MS = 120_000;

function parseArgs(argv) {
  const o = { builds: 1000, consumers: 10, requests: 20, runs: 3, wrkDuration: '5s',
    odmd: process.env.ODMD_BIN, fixture: process.env.ODMD_CONSOLE_FIXTURE };
  const names = { builds: 'builds', consumers: 'consumers', requests: 'requests', runs: 'runs',
    'wrk-duration': 'wrkDuration', odmd: 'odmd', fixture: 'fixture' };
  for (const a of argv) {
    const m = /^--([a-z-]+)=(.*)$/.exec(a);
    if (!m || !names[m[1]]) {
      console.error(`scale.mjs: unknown argument '${a}'`);
      process.exit(2);
    }
    const k = names[m[1]];
    o[k] = typeof o[k] === 'number' ? Number(m[2]) : m[2];
  }
  if (!o.odmd || !o.fixture) {
    console.error('scale.mjs: --odmd=<odmd binary> and --fixture=<odmd_console_fixture> are needed');
    process.exit(2);
  }
  return o;
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const ms = (x) => `${x.toFixed(1)} ms`;
const verdict = (ok) => (ok ? 'PASS' : 'MISS');

function figure(name, value, target, ok) {
  console.log(`console ${name}: ${value}  (target ${target}) ${verdict(ok)}`);
}

async function timeGraph(api, token, requests, encoding = 'identity', parseCold = true) {
  // Only the cold answer is parsed (its counts are printed): parsing the others (12 MB each)
  // only made garbage for this process to collect on the 2 cores the browser runs use next.
  const once = async (parse) => {
    const t0 = performance.now();
    const res = await fetch(`${api}/api/graph`,
      { headers: { Authorization: `Bearer ${token}`, 'Accept-Encoding': encoding } });
    const body = await res.arrayBuffer();
    const t = performance.now() - t0;
    if (res.status !== 200) throw new Error(`GET /api/graph: ${res.status}`);
    return { t, bytes: body.byteLength, encoding: res.headers.get('content-encoding') || 'none',
      json: parse ? JSON.parse(Buffer.from(body).toString('utf8')) : null };
  };
  const cold = await once(parseCold);
  const times = [];
  for (let i = 0; i < requests; i++) times.push((await once(false)).t);
  return { cold, times };
}

async function timeBrowser(api, token, runs) {
  const browser = await launchBrowser();
  const out = [];
  try {
    for (let i = 0; i < runs; i++) {
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      const page = await context.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      // A script error or a graph that never becomes ready ends the run (and the bench).
      let timer;
      const failed = new Promise((resolve, reject) => {
        page.once('pageerror', (e) => reject(new Error(`page error: ${e.message}`)));
        timer = setTimeout(() => reject(new Error(`window.odmd.ready did not resolve in ` +
          `${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
      });
      const t0 = performance.now();
      try {
        await Promise.race([
          page.goto(`${api}/#token=${token}`).then(() => page.evaluate(() => window.odmd.ready)),
          failed]);
      } finally {
        clearTimeout(timer);
        failed.catch(() => {});
      }
      const wall = performance.now() - t0;
      const info = await page.evaluate(() => ({ readyMs: window.odmd.readyMs,
        layoutMs: window.odmd.layoutMs, renderMs: window.odmd.renderMs, fast: window.odmd.fast,
        readMs: window.odmd.state.fetchMs, createMs: window.odmd.state.createMs,
        paintMs: window.odmd.state.paintMs, early: window.odmd.state.earlyGraph,
        nodes: window.odmd.cy.nodes().length, edges: window.odmd.cy.edges().length }));
      if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
      out.push({ wall, ...info });
      await context.close();
    }
  } finally {
    await browser.close();
  }
  return out;
}

async function wrk(url, duration, token) {
  const args = ['-t2', '-c16', `-d${duration}`];
  if (token) args.push('-H', `Authorization: Bearer ${token}`);
  const { stdout } = await run('wrk', [...args, url]);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
  if (!rps) throw new Error(`wrk printed no Requests/sec:\n${stdout}`);
  const bad = /Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout);
  if (bad) throw new Error(`wrk got ${bad[1]} non-2xx answers from ${url}:\n${stdout}`);
  const errors = /Socket errors:.*/.exec(stdout);
  return { rps: Number(rps[1]), errors: errors ? errors[0] : '' };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  process.env.ODMD_BIN = path.resolve(o.odmd);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'odmd-console-bench-'));
  let server;
  const failures = [];
  try {
    const state = path.join(tmp, 'state');
    const fx = await run(path.resolve(o.fixture),
      [`--state-dir=${state}`, `--builds=${o.builds}`, `--consumers=${o.consumers}`]);
    process.stdout.write(fx.stdout);
    console.log(`console fixture written in ${ms(fx.ms)}`);
    const envers = Number((/(\d+) envers/.exec(fx.stdout) || [])[1]);
    const t0 = performance.now();
    server = await Server.start(state, [], path.join(tmp, 'serve.log'));
    const viewer = await server.issueToken('viewer');
    // The API answers before the platform has loaded the store (an empty graph meanwhile).
    await waitFor(`GET /api/graph to show the fixture's ${envers} envers`, async () => {
      const r = await fetch(`${server.api}/api/graph`,
        { headers: { Authorization: `Bearer ${viewer}`, 'Accept-Encoding': 'identity' } });
      return r.status === 200 && (await r.json()).envers.length === envers;
    }, { alive: () => server.alive(), every: 100 });
    console.log(`console serve start -> full graph served: ${ms(performance.now() - t0)}`);

    // (a) the graph JSON
    const g = await timeGraph(server.api, viewer, o.requests);
    const { json } = g.cold;
    console.log(`console machine: ${os.cpus().length} cores, load average ` +
      `${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
    const states = {};
    for (const e of json.edges) states[e.state] = (states[e.state] || 0) + 1;
    console.log(`console graph: ${json.envers.length} envers, ${json.edges.length} edges ` +
      `(${Object.entries(states).map(([k, v]) => `${k} ${v}`).join(', ')}), ` +
      `${(g.cold.bytes / 1e6).toFixed(2)} MB JSON; cold request ${ms(g.cold.t)}`);
    // What a browser gets: chromium asks for br, gzip or deflate; the server picks one.
    for (const enc of ['gzip', 'br']) {
      const one = await timeGraph(server.api, viewer, 0, enc, false);
      console.log(`console graph with Accept-Encoding: ${enc}: ${ms(one.cold.t)} ` +
        `(Content-Encoding: ${one.cold.encoding})`);
    }
    const p50 = pct(g.times, 50);
    const p95 = pct(g.times, 95);
    figure(`GET /api/graph (${o.requests} requests)`, `p50 ${ms(p50)}, p95 ${ms(p95)}`,
      '< 200 ms', p95 < 200);

    // (b) navigation -> interactive graph in headless chromium
    let runs = [];
    try {
      runs = await timeBrowser(server.api, viewer, o.runs);
    } catch (e) {
      failures.push(`the browser run: ${e.message}`);
      console.log(`console navigation -> interactive graph: not measured (${e.message}) MISS`);
    }
    if (runs.length) {
      // The page's phases: the graph JSON read (awaited and parsed; boot.js sent the request
      // before the bundle ran), the elements created (the quick layout included), the first
      // two frames (the envers' styles and first drawing).
      runs.forEach((r, i) => console.log(`console browser run ${i + 1}: navigation -> ready ` +
      `${ms(r.wall)} (page: ready at ${ms(r.readyMs)}, graph JSON -> painted ${ms(r.renderMs)}: ` +
      `read ${ms(r.readMs)}${r.early ? ' (early request)' : ''}, create ${ms(r.createMs)} ` +
      `(layout ${ms(r.layoutMs)}), first frames ${ms(r.paintMs)}; ${r.nodes} nodes, ` +
      `${r.edges} edges${r.fast ? ', fast mode' : ''})`));
      const worst = Math.max(...runs.map((r) => r.wall));
      figure(`navigation -> interactive graph (${o.runs} runs)`,
        `median ${ms(pct(runs.map((r) => r.wall), 50))}, worst ${ms(worst)}`, '< 3000 ms',
        worst < 3000);
    }

    // (c) wrk on small reads
    const health = await wrk(`${server.api}/api/health`, o.wrkDuration);
    figure(`wrk GET /api/health (-t2 -c16 -d${o.wrkDuration})`,
      `${Math.round(health.rps)} req/s ${health.errors}`, '>= 20000 req/s', health.rps >= 20000);
    for (const route of ['/api/deployments?limit=1', '/api/contracts']) {
      const auth = await wrk(`${server.api}${route}`, o.wrkDuration, viewer);
      figure(`wrk GET ${route}, viewer token (-t2 -c16 -d${o.wrkDuration})`,
        `${Math.round(auth.rps)} req/s ${auth.errors}`, '>= 20000 req/s', auth.rps >= 20000);
    }
    await server.stop();
    server = null;
    if (failures.length) throw new Error(`not measured: ${failures.join('; ')}`);
    console.log('console bench done');
  } catch (e) {
    console.error(`scale.mjs: ${e.stack || e.message}`);
    if (server) console.error(`--- serve log ---\n${server.logTail()}`);
    process.exitCode = 1;
  } finally {
    if (server) await server.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
