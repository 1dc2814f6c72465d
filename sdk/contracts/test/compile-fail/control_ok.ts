// Control: everything here compiles (a tag consumes a tag; a branch consumes both).
import { branchProduct, cdk, central, tagProduct } from './common';

cdk.tag('v1', central, 'us-east-1').consumes('t', tagProduct);
cdk.branch('main', central, 'us-east-1').consumes('b', branchProduct);
cdk.branch('dev', central, 'us-east-1').consumes('t', tagProduct);
