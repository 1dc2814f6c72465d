// The networking enver: two stacks, in the order of ODMD_stack_names.
import { App } from 'aws-cdk-lib';
import { OdmdEnver } from '@odmd/cdk';
import { NetworkingStack } from '../lib/networking-stack';
import { ShareNatStack } from '../lib/share-nat-stack';

const enver = OdmdEnver.current();
const app = new App();
new NetworkingStack(app, enver.stackName(0), { enver });
new ShareNatStack(app, enver.stackName(1), { enver });
app.synth();
