// logging--<rev>: the log bucket and log group of the org. Publishes logDestination (the
// bucket's ARN, deploy-time) and logGroupName (synth-time); consumes networking's vpcId
// (the other half of the networking <-> logging cycle).
import { RemovalPolicy } from 'aws-cdk-lib';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { OdmdStack, type OdmdStackProps } from '@odmd/cdk';

export class LoggingStack extends OdmdStack {
  constructor(scope: Construct, id: string, props: OdmdStackProps = {}) {
    super(scope, id, props);
    const bucket = new Bucket(this, 'Logs', {
      bucketName: this.enver.physicalName('logs'),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const logGroupName = this.enver.physicalName('central');
    new LogGroup(this, 'Central', {
      logGroupName,
      retention: RetentionDays.ONE_WEEK,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const vpc = new StringParameter(this, 'WatchedVpc', {
      parameterName: `/${this.enver.physicalName('watched-vpc')}`,
      stringValue: this.enver.consumer('vpcId'),
      description: 'the VPC whose flow logs land here: networking/b..main vpcId',
    });
    vpc.applyRemovalPolicy(RemovalPolicy.DESTROY);
    this.publish('logDestination', bucket.bucketArn);
    this.publish('logGroupName', logGroupName);
  }
}
