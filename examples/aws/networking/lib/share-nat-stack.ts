// networking-share-nat--<rev>: the NAT address the enver shares with its consumers.
import { RemovalPolicy, Tags } from 'aws-cdk-lib';
import { CfnEIP } from 'aws-cdk-lib/aws-ec2';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { OdmdStack, type OdmdStackProps } from '@odmd/cdk';
import { VPC_CIDR } from './networking-stack';

export class ShareNatStack extends OdmdStack {
  constructor(scope: Construct, id: string, props: OdmdStackProps = {}) {
    super(scope, id, props);
    const eip = new CfnEIP(this, 'NatIp', { domain: 'vpc' });
    Tags.of(eip).add('Name', this.enver.physicalName('nat'));
    const shared = new StringParameter(this, 'NatShare', {
      parameterName: `/${this.enver.physicalName('nat-share')}`,
      stringValue: this.toJsonString({ natIp: eip.ref, cidr: VPC_CIDR }),
      description: 'the shared NAT of this networking enver',
    });
    shared.applyRemovalPolicy(RemovalPolicy.DESTROY);
    this.publish('natPublicIp', eip.ref);
  }
}
