// Shared by the compile-fail fixtures: a branch and a tag enver of each kind.
import { Contracts } from '@odmd/contracts';

export const c = new Contracts('org', '1.0.0');
export const central = c.account('central', '111111111111');
const repo = c.repo('o', 'r');
export const cdk = c.cdkBuild('svc', repo);
export const producer = c.cdkBuild('producer', repo);
export const image = c.imageBuild('img', repo);
export const contracts = c.contractsBuild('contracts', repo);
export const branchProduct = producer.branch('main', central, 'us-east-1').produces('p');
export const tagProduct = producer.tag('v1', central, 'us-east-1').produces('p');
