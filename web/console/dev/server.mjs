// Development server for the console: serves a built console folder and a mock of the
// platform's API over a synthetic graph (fixture.mjs), so the UI can be developed and
// measured in a browser without odmd. Not used by odmd itself.
//   node dev/server.mjs --dist DIR [--port 8089] [--envers 24] [--edges 40] [--token dev]
//   node dev/server.mjs --dist DIR --proxy http://127.0.0.1:PORT   (/api/ from a real odmd serve)
// Test helpers: POST /dev/bump?edge=<id> (a new version of that edge's product: the edge
// becomes outdated), POST /dev/clone?origin=<enver id>&name=<rev> (a new clone).
import { createServer, request } from 'node:http';
import { readFileSync, existsSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import { makeGraph } from './fixture.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
const dist = args.dist || new URL('../dist', import.meta.url).pathname;
const port = Number(args.port || 8089);
const token = args.token || 'dev';
const graph = makeGraph({ envers: Number(args.envers || 24), edges: Number(args.edges || 40) });
let revision = graph.revision;
const events = [];
const streams = new Set();
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.map': 'application/json' };

function addEvent(kind, enver, message, fields = {}, suggestion = '') {
  revision++;
  const e = { seq: events.length + 1, time_ms: Date.now(), kind, enver, message, suggestion, fields, revision };
  events.push(e);
  for (const res of streams) res.write(`id: ${e.seq}\ndata: ${JSON.stringify(e)}\n\n`);
}
addEvent('deployment.succeeded', graph.envers[1].id, 'deployed');
const clone0 = graph.envers.find((e) => e.kind === 'clone');
if (clone0) {
  addEvent('command.accepted', clone0.id, 'clone created', { command: 'odmd: create@main' });
  addEvent('command.rejected', clone0.origin, 'unknown command', { command: 'odmd: create@mian', reason: "no branch 'mian'" }, "did you mean 'odmd: create@main'?");
}

function json(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}
function error(res, status, code, message) {
  json(res, status, { error: { code, message } });
}

function currentGraph() {
  return { ...graph, revision, latest_revision: revision };
}

function enverView(id) {
  const e = graph.envers.find((x) => x.id === id);
  if (!e) return null;
  const names = { stack_name: id.replace(/[^a-zA-Z0-9]/g, '-'), build_role_arn: `arn:aws:iam::${e.account}:role/${e.build}-build`,
    workflow_file: `.github/workflows/odmd-${e.rev}.yml`, subdomain: `${e.rev.replace(/\W/g, '')}.${e.build}` };
  const products = [...new Set(graph.edges.filter((x) => x.source === id).map((x) => x.product))]
    .map((p) => ({ name: p, path: `/odmd-share/${id}/${p}`, version: 3, revision: 90 }));
  const consumers = graph.edges.filter((x) => x.target === id).map((x) => ({ name: x.consumer, path: x.path, producer: x.source,
    consumed_version: x.consumed, latest_version: x.latest, placeholder: x.state === 'placeholder', outdated: x.state === 'outdated', reaction: x.reaction }));
  return { ...e, kind: e.kind === 'clone' ? 'clone' : 'static', immutable: e.kind === 'tag', names, products, consumers,
    deployments: [{ id: 'd-' + e.build + '-1', enver: id, state: e.status === 'failed' ? 'failed' : 'succeeded', cause: { kind: 'push' }, queued_at_ms: Date.now() - 60000, finished_at_ms: Date.now() - 30000 }],
    clones: graph.envers.filter((x) => x.origin === id).map((x) => x.id) };
}

function impact(query) {
  const root = query.get('enver') || query.get('product');
  const start = query.get('enver') ? [query.get('enver')] : graph.edges.filter((e) => e.path === root).map((e) => e.target);
  const depth = new Map(query.get('enver') ? [[root, 0]] : []);
  const edges = [];
  const queue = start.map((s) => [s, query.get('enver') ? 0 : 1]);
  for (const [s, d] of queue) if (!depth.has(s)) depth.set(s, d);
  if (!query.get('enver')) edges.push(...graph.edges.filter((e) => e.path === root).map((e) => e.id));
  while (queue.length) {
    const [n, d] = queue.shift();
    for (const e of graph.edges) {
      if (e.source !== n) continue;
      edges.push(e.id);
      if (!depth.has(e.target)) { depth.set(e.target, d + 1); queue.push([e.target, d + 1]); }
    }
  }
  return { root, envers: [...depth].map(([id, d]) => ({ id, depth: d })), edges };
}

createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  const p = url.pathname;
  if (p.startsWith('/dev/')) {
    if (p === '/dev/bump') {
      const e = graph.edges.find((x) => x.id === url.searchParams.get('edge'));
      if (!e) return error(res, 404, 'NOT_FOUND', 'no such edge');
      for (const x of graph.edges) if (x.path === e.path) { x.latest++; if (x.state !== 'placeholder') x.state = x.consumed < x.latest ? 'outdated' : x.state; }
      addEvent('product.published', e.source, 'new version', { path: e.path, version: String(e.latest) });
      return json(res, 200, { ok: true, revision });
    }
    if (p === '/dev/clone') {
      const origin = graph.envers.find((x) => x.id === url.searchParams.get('origin'));
      if (!origin) return error(res, 404, 'NOT_FOUND', 'no such origin');
      const rev = url.searchParams.get('name') || 'b..new' + revision;
      const c = { ...origin, id: `${origin.build}/${rev}`, rev, kind: 'clone', origin: origin.id, status: 'queued' };
      graph.envers.push(c);
      graph.builds.find((b) => b.id === origin.build).envers.push(c.id);
      for (const e of graph.edges.filter((x) => x.target === origin.id)) graph.edges.push({ ...e, id: `${c.id}#${e.consumer}`, target: c.id, state: 'pending', consumed: 0 });
      addEvent('clone.created', c.id, 'clone created', { origin: origin.id });
      return json(res, 200, { ok: true, id: c.id });
    }
  }
  if (p.startsWith('/api/') && args.proxy) {
    const target = new URL(req.url, args.proxy);
    const fwd = request(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (up) => {
      res.writeHead(up.statusCode, up.headers);
      up.pipe(res);
    });
    fwd.on('error', (e) => error(res, 502, 'UNAVAILABLE', 'proxy: ' + e.message));
    req.pipe(fwd);
    return;
  }
  if (p.startsWith('/api/')) {
    if ((req.headers.authorization || '') !== 'Bearer ' + token) return error(res, 401, 'UNAUTHENTICATED', 'missing or unknown bearer token');
    const q = url.searchParams;
    if (p === '/api/graph') {
      if (q.get('revision') || q.get('contracts_version')) {
        const g = makeGraph({ envers: Math.floor(graph.envers.length * 0.7), edges: Math.floor(graph.edges.length * 0.7) });
        return json(res, 200, { ...g, revision: Number(q.get('revision') || 50), latest_revision: revision, historical: true, contracts_version: q.get('contracts_version') || '1.0.0' });
      }
      return json(res, 200, currentGraph());
    }
    if (p === '/api/events' || p === '/api/events/stream') {
      const after = Number(req.headers['last-event-id'] || q.get('after') || 0);
      if ((req.headers.accept || '').includes('text/event-stream')) {
        res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
        res.flushHeaders();
        for (const e of events.filter((x) => x.seq > after)) res.write(`id: ${e.seq}\ndata: ${JSON.stringify(e)}\n\n`);
        streams.add(res);
        req.on('close', () => streams.delete(res));
        return;
      }
      return json(res, 200, { events: events.filter((x) => x.seq > after).slice(0, Number(q.get('limit') || 100)) });
    }
    if (p.startsWith('/api/envers/')) {
      const v = enverView(decodeURIComponent(p.slice('/api/envers/'.length)));
      return v ? json(res, 200, v) : error(res, 404, 'NOT_FOUND', 'enver not found');
    }
    if (p.startsWith('/api/history/products/')) {
      const path = '/odmd-share/' + decodeURIComponent(p.slice('/api/history/products/'.length));
      return json(res, 200, { path, versions: [3, 2, 1].map((v) => ({ version: v, revision: 80 + v, value: `value-${v}`, deleted: false })) });
    }
    if (p.startsWith('/api/deployments/') && p.endsWith('/log')) {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      return res.end('+ ./build.sh\nbuilding...\ndone\n');
    }
    if (p === '/api/impact') return json(res, 200, impact(q));
    if (p === '/api/contracts') return json(res, 200, { latest: '1.1.0', versions: [{ version: '1.1.0', digest: 'x', revision: 60 }, { version: '1.0.0', digest: 'y', revision: 20 }] });
    if (p === '/api/contracts/diff') return json(res, 200, { from: q.get('from'), to: q.get('to'), changes: [{ kind: 'added', what: 'enver', id: 'svc0002/b..env2', detail: '' }, { kind: 'changed', what: 'consumer', id: 'svc0003/b..main#x', detail: 'reaction notify -> redeploy' }], impact: ['svc0002/b..env2'] });
    return error(res, 404, 'NOT_FOUND', 'no route ' + p);
  }
  const file = normalize(join(dist, p === '/' ? 'index.html' : p));
  if (!file.startsWith(normalize(dist)) || !existsSync(file)) { res.writeHead(404); return res.end('not found'); }
  // The header odmd serve sends with the console's files (libs/api/src/static_files.cc).
  res.writeHead(200, { 'Content-Type': types[extname(file)] || 'application/octet-stream',
    'Content-Security-Policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:" });
  res.end(readFileSync(file));
}).listen(port, '127.0.0.1', () => console.log(`dev server: http://127.0.0.1:${port}/#token=${token}`));
