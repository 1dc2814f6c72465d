// The order service enver: one stack.
import { App } from 'aws-cdk-lib';
import { OdmdEnver } from '@odmd/cdk';
import { OrderStack } from '../lib/order-stack';

const enver = OdmdEnver.current();
const app = new App();
new OrderStack(app, enver.stackName(), { enver });
app.synth();
