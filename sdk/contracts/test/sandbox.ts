// The sandbox org of examples/sandbox (src/contracts.cc) written with @odmd/contracts: its
// manifest must be byte-identical to examples/sandbox/manifest.golden.json.

import {
  Contracts,
  type AccountRef,
  type ConsumingEnver,
  type Enver,
  type Product,
  type RevType,
} from '@odmd/contracts';

const WEST = 'us-west-1';
const EAST = 'us-east-1';
const INSTALLATION = 41309761;

interface Accounts {
  central: AccountRef;
  workspace0: AccountRef;
  workspace1: AccountRef;
  networking: AccountRef;
}

interface NetworkProducts {
  ipamPool: Product<'b'>;
  transitGateway: Product<'b'>;
  hostedZone: Product<'b'>;
  vpcCidrs: Product<'b'>;
}

function publishNetwork(enver: ConsumingEnver<'b'>): NetworkProducts {
  return {
    ipamPool: enver.produces('ipamPoolId'),
    transitGateway: enver.produces('transitGatewayId'),
    hostedZone: enver.produces('hostedZoneId'),
    vpcCidrs: enver.produces('vpcCidrs'),
  };
}

interface FoundationProducts<T extends RevType> {
  eventBus: Product<T>;
  configTable: Product<T>;
  countTable: Product<T>;
}

function publishFoundation<T extends RevType>(enver: Enver<T>): FoundationProducts<T> {
  return {
    eventBus: enver.produces('eventBusArn'),
    configTable: enver.produces('configTableName'),
    countTable: enver.produces('countTableName'),
  };
}

export function sandboxContracts(version = '1.0.0'): Contracts {
  const c = new Contracts('sandbox', version);
  const a: Accounts = {
    central: c.account('central', '590184031795'),
    workspace0: c.account('workspace0', '975050243618'),
    workspace1: c.account('workspace1', '366920167720'),
    networking: c.account('networking', '420887418376'),
  };
  const repo = (name: string) => c.repo('ondemandenv', name, INSTALLATION);

  // The contracts library itself: one enver per region (rules R7, R11); it consumes nothing.
  const contracts = c.contractsBuild('odmd-contracts-sandbox', repo('odmd-contracts-sandbox'));
  contracts.branch('main', a.workspace0, WEST);
  contracts.branch('main-east', a.workspace0, EAST);

  const networking = c.build('networking', 'networking', repo('odmd-networking'));
  const netWestEnver = networking.branch('main', a.networking, WEST);
  const net = publishNetwork(netWestEnver);
  const netEast = publishNetwork(networking.branch('main-east', a.networking, EAST));

  // The deliberate cycle: networking's logBucket consumer carries the placeholder (R8).
  const logging = c.cdkBuild('centralLogging', repo('odmd-central-logging'));
  const logMain = logging.branch('main', a.central, WEST).ephemeral(false);
  logMain.consumes('hostedZone', net.hostedZone);
  const bucket = logMain.produces('logBucketArn');
  logMain.produces('logGroupName');
  netWestEnver.consumes('logBucket', bucket, {
    defaultIfAbsent: 'arn:aws:s3:::odmd-placeholder-central-log-bucket',
  });

  const auth = c.build('userAuth', 'user-auth', repo('odmd-user-auth'));
  const authMain = auth.branch('main', a.workspace0, WEST).overwriteWorkflow(false);
  authMain.consumes('hostedZone', net.hostedZone);
  authMain.produces('userPoolId');
  authMain.produces('consoleUrl');

  const eks = c.build('eksCluster', 'eks-cluster', repo('odmd-eks'));
  const publishCluster = (enver: ConsumingEnver<'b'>, n: NetworkProducts): Product<'b'> => {
    enver.cloneLimit(5);
    enver.consumes('ipamPool', n.ipamPool);
    enver.consumes('transitGateway', n.transitGateway);
    enver.produces('oidcProviderArn');
    enver.produces('clusterName');
    return enver.produces('clusterEndpoint');
  };
  const clusterEndpoint = publishCluster(eks.branch('main', a.workspace0, WEST), net);
  publishCluster(eks.branch('main-east', a.workspace0, EAST), netEast);

  // The coffee shop: foundation <- order manager <- order processor on main, dev, v1.0.0.
  const foundation = c.cdkBuild('coffeeShopFoundation', repo('coffee-shop--foundation'));
  // The foundation's workflow is the platform's: edits to it are replaced.
  const fMain = foundation.branch('main', a.workspace1, WEST).ephemeral(false).overwriteWorkflow(true);
  const fDev = foundation.branch('dev', a.workspace1, WEST).overwriteWorkflow(true);
  const fRelease = foundation.tag('v1.0.0', a.workspace1, WEST).overwriteWorkflow(true);
  fMain.consumes('vpcCidrs', net.vpcCidrs);
  fDev.consumes('vpcCidrs', net.vpcCidrs);
  const f = { main: publishFoundation(fMain), dev: publishFoundation(fDev), release: publishFoundation(fRelease) };

  const manager = c.cdkBuild('coffeeShopOrderManager', repo('coffee-shop--order-manager'));
  const mMain = manager.branch('main', a.workspace1, WEST).ephemeral(false);
  const mDev = manager.branch('dev', a.workspace1, WEST);
  const mRelease = manager.tag('v1.0.0', a.workspace1, WEST);
  mMain.consumes('clusterEndpoint', clusterEndpoint).onChange('notify');
  mDev.consumes('clusterEndpoint', clusterEndpoint);
  mDev.consumes('countTable', f.dev.countTable, { trigger: 'no' });
  const publishManager = <T extends RevType>(
    enver: ConsumingEnver<T>,
    fp: FoundationProducts<T>,
  ): Product<T> => {
    enver.consumes('eventBus', fp.eventBus);
    enver.consumes('configTable', fp.configTable);
    enver.produces('orderTableName');
    return enver.produces('orderApiUrl');
  };
  const api = {
    main: publishManager(mMain, f.main),
    dev: publishManager(mDev, f.dev),
    release: publishManager(mRelease, f.release),
  };

  const processor = c.cdkBuild('coffeeShopOrderProcessor', repo('coffee-shop--order-processor'));
  const pMain = processor.branch('main', a.workspace1, WEST);
  pMain.consumes('orderApi', api.main);
  pMain.consumes('eventBus', f.main.eventBus);
  const pDev = processor.branch('dev', a.workspace1, WEST);
  pDev.consumes('orderApi', api.dev);
  pDev.consumes('eventBus', f.dev.eventBus);
  const pRelease = processor.tag('v1.0.0', a.workspace1, WEST);
  pRelease.consumes('orderApi', api.release);
  pRelease.consumes('eventBus', f.release.eventBus);

  // Spring OpenAPI 3 sample: one repo, two builds; the image build only produces (R6).
  const springRepo = repo('spring-boot-swagger-3-example');
  const img = c.imageBuild('sampleSpringOpenAPI3img', springRepo);
  const cdk = c.cdkBuild('sampleSpringOpenAPI3cdk', springRepo);
  const publishImage = <T extends RevType>(enver: Enver<T>) => {
    enver.buildScript('.scripts/build-image.sh');
    return { uri: enver.produces('imageUri'), digest: enver.produces('imageDigest') };
  };
  const imgMain = publishImage(img.branch('main', a.workspace1, WEST));
  const imgRelease = publishImage(img.tag('v1.0.0', a.workspace1, WEST));
  const cdkMain = cdk.branch('main', a.workspace1, WEST).workDir('cdk');
  cdkMain.consumes('imageUri', imgMain.uri);
  cdkMain.consumes('imageDigest', imgMain.digest);
  cdkMain.produces('apiBaseUrl');
  const cdkRelease = cdk.tag('v1.0.0', a.workspace1, WEST).workDir('cdk');
  cdkRelease.consumes('imageUri', imgRelease.uri);
  cdkRelease.consumes('imageDigest', imgRelease.digest);
  cdkRelease.produces('apiBaseUrl');
  return c;
}

export default sandboxContracts;
