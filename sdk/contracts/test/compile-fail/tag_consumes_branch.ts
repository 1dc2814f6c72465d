// Rule R3: a tag (immutable) enver may consume only products of tag envers.
import { branchProduct, cdk, central } from './common';

cdk.tag('v1', central, 'us-east-1').consumes('b', branchProduct); // EXPECT: not assignable
