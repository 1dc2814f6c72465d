// The TypeScript side of odmd_contracts_bench: re-declares the org of a manifest through the
// @odmd/contracts builders (as a contracts library would), then times declaring it, writing
// its manifest (Contracts.manifest()) and synth() (the same plus `odmd validate`), and checks
// the bytes equal the manifest it read (written by the C++ writer).
//
//   node --import tsx bench/contracts/synth_bench.ts MANIFEST RUNS ODMD_BIN
// prints one line: "ts declare=..ms manifest=..ms synth=..ms identical=yes|no"

import { readFileSync } from 'node:fs';
import {
  Contracts,
  type BuildData,
  type ConsumingEnver,
  type Enver,
  type OrgData,
  type Product,
  type RevType,
} from '../../sdk/contracts/src/index';

type AnyEnver = Enver<RevType>;

function declareBuild(c: Contracts, b: BuildData): Array<AnyEnver> {
  const repo = c.repo(b.repo.owner, b.repo.name, b.repo.installationId);
  const build =
    b.kind === 'contracts'
      ? c.contractsBuild(b.id, repo)
      : b.kind === 'image'
        ? c.imageBuild(b.id, repo)
        : c.build(b.id, b.kind, repo);
  return b.envers.map((e) => {
    const account = { name: e.account, id: '' };
    const value = e.rev.slice(3);
    const enver: AnyEnver = e.rev.startsWith('t..')
      ? build.tag(value, account, e.region)
      : build.branch(value, account, e.region);
    enver
      .buildScript(e.buildScript)
      .workDir(e.workDir)
      .ephemeral(e.ephemeral)
      .cloneLimit(e.cloneLimit)
      .overwriteWorkflow(e.overwriteWorkflow);
    if (e.stacks.length > 0) enver.stacks(...e.stacks);
    return enver;
  });
}

function declare(org: OrgData): Contracts {
  const c = new Contracts(org.name, org.version);
  for (const a of org.accounts) c.account(a.name, a.id);
  const products = new Map<string, Product<RevType>>();
  const envers = org.builds.map((b) => declareBuild(c, b));
  org.builds.forEach((b, i) =>
    b.envers.forEach((e, j) => {
      for (const p of e.products) {
        products.set(`${b.id}/${e.rev}/${p.name}`, envers[i]![j]!.produces(p.name));
      }
    }),
  );
  org.builds.forEach((b, i) =>
    b.envers.forEach((e, j) => {
      const enver = envers[i]![j] as ConsumingEnver<RevType>;
      for (const k of e.consumers) {
        const product = products.get(`${k.producer}/${k.product}`)!;
        const consumer = enver.consumes(k.name, product as Product<'t'>, { reaction: k.reaction });
        if (k.placeholder !== undefined) consumer.placeholder(k.placeholder);
      }
    }),
  );
  return c;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function main(): void {
  const [manifestPath, runsText, odmdBin] = process.argv.slice(2);
  if (manifestPath === undefined || runsText === undefined || odmdBin === undefined) {
    console.error('usage: synth_bench.ts MANIFEST RUNS ODMD_BIN');
    process.exit(2);
  }
  const text = readFileSync(manifestPath, 'utf8');
  const parsed = JSON.parse(text) as OrgData & { org: string; stacks?: string[] };
  const org: OrgData = {
    ...parsed,
    name: parsed.org,
    builds: parsed.builds.map((b) => ({
      ...b,
      envers: b.envers.map((e) => ({ ...e, stacks: e.stacks ?? [] })),
    })),
  };
  const declareMs: number[] = [];
  const manifestMs: number[] = [];
  let out = '';
  for (let i = 0; i < Number(runsText); ++i) {
    const t0 = performance.now();
    const c = declare(org);
    const t1 = performance.now();
    out = c.manifest();
    const t2 = performance.now();
    declareMs.push(t1 - t0);
    manifestMs.push(t2 - t1);
  }
  const c = declare(org);
  const t3 = performance.now();
  const synthesised = c.synth({ odmdBin });
  const synthMs = performance.now() - t3;
  const identical = out === text && synthesised === text ? 'yes' : 'no';
  console.log(
    `ts declare=${median(declareMs).toFixed(0)}ms manifest=${median(manifestMs).toFixed(0)}ms ` +
      `synth=${synthMs.toFixed(0)}ms identical=${identical}`,
  );
}

main();
