// A synthetic platform for developing and measuring the console without odmd: a graph JSON
// in the shape of GET /api/graph (docs: /work/briefs/i6_design.md), with branch, tag and
// clone envers and edges in every state. Deterministic for given sizes.

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

// makeGraph({envers, edges}) -> graph JSON. Builds get 1 main branch, some tags and clones;
// edges go from earlier builds' envers to later ones (layers), so the graph is a DAG.
export function makeGraph({ envers = 24, edges = 40, seed = 7 } = {}) {
  const r = rng(seed);
  const perBuild = envers >= 1000 ? 5 : 3;
  const nBuilds = Math.max(2, Math.ceil(envers / perBuild));
  const builds = [];
  const list = [];
  const accounts = ['111111111111', '222222222222', '333333333333'];
  const regions = ['us-east-1', 'eu-west-1'];
  for (let b = 0; b < nBuilds && list.length < envers; b++) {
    const id = b === 0 ? 'contracts' : `svc${String(b).padStart(4, '0')}`;
    const build = { id, repo: `acme/${id}`, envers: [] };
    builds.push(build);
    const main = { id: `${id}/b..main`, build: id, rev: 'b..main', kind: 'branch',
      account: accounts[b % 3], region: regions[b % 2], status: 'succeeded', sha: 'a'.repeat(40) };
    list.push(main);
    build.envers.push(main.id);
    for (let k = 1; k < perBuild && list.length < envers; k++) {
      let e;
      if (k === 1 && b % 2 === 0) {
        e = { id: `${id}/t..v1.${b}`, build: id, rev: `t..v1.${b}`, kind: 'tag', account: accounts[(b + 1) % 3],
          region: regions[b % 2], status: 'succeeded', sha: 'b'.repeat(40) };
      } else if (k === 2 && b % 3 === 0) {
        e = { id: `${id}/b..feat${k}`, build: id, rev: `b..feat${k}`, kind: 'clone', origin: main.id,
          declared: b % 6 === 0,
          account: main.account, region: main.region, status: b % 4 === 0 ? 'failed' : 'running', sha: 'c'.repeat(40) };
      } else {
        e = { id: `${id}/b..env${k}`, build: id, rev: `b..env${k}`, kind: 'branch', account: accounts[(b + k) % 3],
          region: regions[(b + k) % 2], status: k === 3 ? 'never' : 'succeeded', sha: 'd'.repeat(40) };
      }
      list.push(e);
      build.envers.push(e.id);
    }
  }
  // As GET /api/graph: the account id and the manifest's account name.
  for (const e of list) e.account_name = `workspace${accounts.indexOf(e.account)}`;
  const states = ['current', 'current', 'current', 'outdated', 'placeholder', 'pending'];
  const reactions = ['redeploy', 'redeploy', 'redeploy', 'notify', 'ignore'];
  const edgeList = [];
  const seen = new Set();
  const nonClones = list.filter((e) => e.kind !== 'clone');
  const byBuild = new Map(builds.map((b, i) => [b.id, i]));
  // Producers come from lower-numbered builds; a layered DAG of depth ~8.
  let guard = 0;
  while (edgeList.length < edges && guard++ < edges * 20) {
    const t = nonClones[1 + Math.floor(r() * (nonClones.length - 1))];
    const tb = byBuild.get(t.build);
    if (tb === 0) continue;
    const layer = tb % 8; // producers come from a lower layer: the DAG is ~8 deep
    if (layer === 0) continue;
    let sb = 8 * Math.floor(r() * (Math.floor(tb / 8) + 1)) + Math.floor(r() * layer);
    if (sb >= tb) sb = Math.floor(r() * layer);
    const sEnvers = builds[sb].envers.filter((x) => !x.includes('feat'));
    const s = sEnvers[Math.floor(r() * sEnvers.length)];
    const product = `p${Math.floor(r() * 4)}`;
    const consumer = `${s.split('/')[0]}-${product}-${Math.floor(r() * 1e6)}`;
    const id = `${t.id}#${consumer}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const state = states[Math.floor(r() * states.length)];
    const latest = 1 + Math.floor(r() * 5);
    const consumed = state === 'outdated' ? latest - 1 : state === 'pending' ? 0 : latest;
    edgeList.push({ id, source: s, target: t.id, product, path: `/odmd-share/${s}/${product}`, consumer,
      reaction: reactions[Math.floor(r() * reactions.length)], consumed, latest: Math.max(latest, 1), state });
  }
  // A clone's edges: its origin's consumers, from the same producers.
  const clones = list.filter((e) => e.kind === 'clone');
  const byTarget = new Map();
  for (const e of edgeList) {
    if (!byTarget.has(e.target)) byTarget.set(e.target, []);
    byTarget.get(e.target).push(e);
  }
  for (const c of clones) {
    for (const e of byTarget.get(c.origin) || []) {
      if (edgeList.length >= edges + clones.length * 3) break;
      edgeList.push({ ...e, id: `${c.id}#${e.consumer}`, target: c.id, state: 'current', consumed: e.latest });
    }
  }
  // As GET /api/graph: each consumer's edges together (here: sorted by id).
  edgeList.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { revision: 100, latest_revision: 100, historical: false, contracts_version: '1.1.0',
    contracts_digest: 'sha256:fixture', builds, envers: list, edges: edgeList };
}
