// The "real org" of the console's readability test (issue 16, "The console on a real org"):
// build names over 30 characters (two sharing their first 14, as "coffeeShopOrde…" was cut
// twice), envers in four accounts and two regions, six consumers joining the same two
// envers, and a clone declared in the contracts (inheriting its origin's six consumers).
// Served by a real `odmd serve` with no repositories: the manifest is published to a fresh
// store first (nothing deploys; every edge is pending until a product is put).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { Server, odmdBin, run } from './harness.mjs';

export const RESOURCES = 'coffeeShopOrderManagerResources'; // 31 characters
export const PROCESSOR = 'coffeeShopOrderProcessorService'; // 31 characters
export const SIX = ['configBucket', 'eventBusArn', 'ordersTableArn', 'ordersTableName', 'queueUrl',
  'topicArn'];
export const PRODUCER = `${RESOURCES}/b..main`;
export const CONSUMER = `${PROCESSOR}/b..main`;
export const DECLARED_CLONE = `${PROCESSOR}/b..main-_b..ta`;

// consumers: [[name, producer, product]]; null leaves the member out (a declared clone
// then inherits its origin's consumers).
function enver(rev, account, region, products = [], consumers = []) {
  const e = { rev, account, region, products: products.map((name) => ({ name })) };
  if (consumers) {
    e.consumers = consumers.map(([name, producer, product]) => ({ name, producer, product }));
  }
  return e;
}

// The manifest (without its digest: odmd fmt adds it).
export function manifest() {
  return {
    schema: 'odmd.manifest/v1',
    org: 'coffee',
    version: '1.0.0',
    centralAccount: 'central',
    accounts: [
      { name: 'central', id: '100000000001' },
      { name: 'workspace0', id: '200000000002' },
      { name: 'workspace1', id: '300000000003' },
      { name: 'workspace2', id: '400000000004' },
    ],
    builds: [
      { id: 'contracts', kind: 'contracts', repo: { owner: 'coffee', name: 'contracts' },
        envers: [enver('b..main', 'central', 'us-east-1', ['contractsLibLatest']),
          enver('b..eu', 'central', 'eu-west-1', ['contractsLibLatest'])] },
      { id: RESOURCES, kind: 'cmd', repo: { owner: 'coffee', name: 'resources' },
        envers: [enver('b..main', 'workspace0', 'us-east-1', SIX),
          enver('b..dev', 'workspace1', 'eu-west-1', SIX)] },
      { id: PROCESSOR, kind: 'cmd', repo: { owner: 'coffee', name: 'processor' },
        envers: [
          enver('b..main', 'workspace0', 'us-east-1', ['apiUrl'],
            SIX.map((p) => [`${p}In`, PRODUCER, p])),
          enver('b..main-_b..ta', 'workspace0', 'us-east-1', ['apiUrl'], null),
          enver('b..dev', 'workspace2', 'eu-west-1', ['apiUrl'],
            [['eventBus', `${RESOURCES}/b..dev`, 'eventBusArn']]),
        ] },
    ],
  };
}

// The org on a fresh `odmd serve` (no repositories), with a viewer token.
export class RealOrg {
  static async start() {
    const o = new RealOrg();
    o.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'odmd-console-real-org-'));
    try {
      const file = path.join(o.tmp, 'manifest.json');
      fs.writeFileSync(file, JSON.stringify(manifest(), null, 2));
      const bin = odmdBin();
      await run(bin, ['fmt', file]);
      const state = path.join(o.tmp, 'state');
      fs.mkdirSync(state);
      await run(bin, ['contracts', 'publish', file, '--store',
        `sqlite:${path.join(state, 'state.db')}`]);
      o.server = await Server.start(state, [], path.join(o.tmp, 'serve.log'));
      o.viewerToken = await o.server.issueToken('viewer');
    } catch (e) {
      await o.stop();
      throw e;
    }
    return o;
  }

  get api() {
    return this.server.api;
  }

  async graph() {
    const r = await this.server.get('/api/graph', this.viewerToken);
    if (r.status !== 200) throw new Error(`GET /api/graph: ${r.status} ${r.text}`);
    return r.json;
  }

  async stop() {
    if (this.server) await this.server.stop();
    if (this.tmp && process.env.ODMD_E2E_KEEP !== '1') {
      fs.rmSync(this.tmp, { recursive: true, force: true });
    }
  }
}
