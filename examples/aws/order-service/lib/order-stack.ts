// orderSvc--<rev>: the order service's bucket, queue (with its dead-letter queue) and
// configuration parameter, every one named through the enver's physical names so that a
// clone's resources live beside the origin's in the same account.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { OdmdStack, type OdmdStackProps } from '@odmd/cdk';

export class OrderStack extends OdmdStack {
  constructor(scope: Construct, id: string, props: OdmdStackProps = {}) {
    super(scope, id, props);
    const bucket = new Bucket(this, 'Orders', {
      bucketName: this.enver.physicalName('orders'),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const dlq = new Queue(this, 'OrdersDlq', {
      queueName: this.enver.physicalName('orders-dlq'),
      retentionPeriod: Duration.days(14),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const queue = new Queue(this, 'OrdersQueue', {
      queueName: this.enver.physicalName('orders'),
      visibilityTimeout: Duration.seconds(60),
      deadLetterQueue: { queue: dlq, maxReceiveCount: 5 },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const configName = `/${this.enver.physicalName('config')}`;
    const config = new StringParameter(this, 'Config', {
      parameterName: configName,
      stringValue: this.toJsonString({
        vpcId: this.enver.consumer('vpcId'),
        logDestination: this.enver.consumer('logDestination'),
        bucket: bucket.bucketName,
        queueUrl: queue.queueUrl,
      }),
      description: 'order service configuration: what it consumes and what it made',
    });
    config.applyRemovalPolicy(RemovalPolicy.DESTROY);
    this.publish('ordersBucketName', bucket.bucketName);
    this.publish('ordersQueueUrl', queue.queueUrl);
    this.publish('configParameter', configName);
  }
}
