// networking--<rev>: the enver's VPC and its subnets. Publishes vpcId (deploy-time) and
// vpcCidr (synth-time); records where logging wants flow logs (a consumer of logging's
// product, a placeholder until logging has deployed: the networking <-> logging cycle).
import { RemovalPolicy, Tags } from 'aws-cdk-lib';
import { CfnSubnet, CfnVPC } from 'aws-cdk-lib/aws-ec2';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { OdmdStack, type OdmdStackProps } from '@odmd/cdk';

export const VPC_CIDR = '10.0.0.0/16';

export class NetworkingStack extends OdmdStack {
  constructor(scope: Construct, id: string, props: OdmdStackProps = {}) {
    super(scope, id, props);
    const vpc = new CfnVPC(this, 'Vpc', {
      cidrBlock: VPC_CIDR,
      enableDnsHostnames: true,
      enableDnsSupport: true,
    });
    Tags.of(vpc).add('Name', this.enver.physicalName('vpc'));
    ['10.0.0.0/24', '10.0.1.0/24'].forEach((cidrBlock, i) => {
      const subnet = new CfnSubnet(this, `Private${i}`, {
        vpcId: vpc.ref,
        cidrBlock,
      });
      Tags.of(subnet).add('Name', this.enver.physicalName(`private${i}`));
    });
    const flowLogs = new StringParameter(this, 'FlowLogDestination', {
      parameterName: `/${this.enver.physicalName('flow-log-destination')}`,
      stringValue: this.enver.consumer('logDestination'),
      description: 'where the VPC flow logs go: logging/b..main logDestination',
    });
    flowLogs.applyRemovalPolicy(RemovalPolicy.DESTROY);
    this.publish('vpcId', vpc.ref);
    this.publish('vpcCidr', VPC_CIDR);
  }
}
