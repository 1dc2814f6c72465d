// The logging enver: one stack.
import { App } from 'aws-cdk-lib';
import { OdmdEnver } from '@odmd/cdk';
import { LoggingStack } from '../lib/logging-stack';

const enver = OdmdEnver.current();
const app = new App();
new LoggingStack(app, enver.stackName(), { enver });
app.synth();
