// The `demo` org of examples/platform, written with @odmd/contracts: its manifest is
// byte-identical to examples/platform/contracts/manifest.json, the hand-written JSON of
// the same org (tests/build-test.sh checks it).

import { Contracts, type AccountRef } from '@odmd/contracts';

export const ORG = 'demo';
export const VERSION = '1.0.0';
const REGION = 'us-west-1';

export function demoContracts(): Contracts {
  const c = new Contracts(ORG, VERSION);
  const central: AccountRef = c.account('central', '100000000001');
  const workspace0 = c.account('workspace0', '200000000002');
  const workspace1 = c.account('workspace1', '300000000003');
  const repo = (name: string) => c.repo('demo', name);

  // This repo: the contracts build. Its enver consumes nothing (a type: no consumes()).
  c.contractsBuild('contracts', repo('contracts'))
    .branch('main', central, REGION)
    .produces('contractsLibLatest');

  // networking <-> logging consume each other; networking's placeholder breaks the cycle.
  const networking = c.build('networking', 'cmd', repo('networking')).branch('main', workspace0, REGION);
  const hostedZone = networking.produces('hostedZone');
  networking.produces('vpcId');
  const logging = c.build('logging', 'cmd', repo('logging')).branch('main', central, REGION);
  logging.consumes('hostedZone', hostedZone);
  const logBucket = logging.produces('logBucket');
  networking.consumes('logBucket', logBucket, { defaultIfAbsent: 'pending-log-bucket' });

  const inventory = c.build('inventory', 'cmd', repo('inventory'));
  const inventoryMain = inventory.branch('main', workspace1, REGION).produces('apiUrl');
  const inventoryRelease = inventory.tag('v1.0.0', workspace1, REGION).produces('apiUrl');

  const orderManager = c.build('orderManager', 'cmd', repo('order-manager'));
  const omMain = orderManager.branch('main', workspace1, REGION).cloneLimit(2);
  omMain.consumes('hostedZone', hostedZone);
  omMain.consumes('logBucket', logBucket);
  omMain.consumes('inventoryApi', inventoryMain);
  const orderApi = omMain.produces('apiUrl');
  omMain.produces('ordersTable');
  // The release consumes only the inventory release: a tag consumes tags (R3, a type).
  const omRelease = orderManager.tag('v1.0.0', workspace1, REGION).cloneLimit(2);
  omRelease.consumes('inventoryApi', inventoryRelease);
  omRelease.produces('apiUrl');
  omRelease.produces('ordersTable');

  const dashboard = c.build('dashboard', 'cmd', repo('dashboard')).branch('main', workspace1, REGION);
  dashboard.consumes('orderApi', orderApi, { reaction: 'notify' });
  dashboard.produces('url');
  return c;
}

export default demoContracts;
