/**
 * The test cluster's VPC: public subnets (NAT, load balancers), private node subnets, and pod
 * subnets cut from a secondary CIDR (100.64.0.0/16 by default, RFC 6598 space that does not use up
 * the VPC's primary range), one per AZ, tagged `kubernetes.io/role/cni=1` so ipamd's subnet
 * discovery (ENABLE_SUBNET_DISCOVERY) puts secondary ENIs there, and named by ENIConfigs under
 * custom networking. A pod subnet routes through its AZ's private route table (the NAT).
 */
import { Fn, Tags } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';

/** The tag subnet discovery looks for (DESIGN.md §9). */
export const CNI_SUBNET_TAG = 'kubernetes.io/role/cni';

export interface PodSubnet {
  readonly subnetId: string;
  readonly availabilityZone: string;
  readonly cidr: string;
}

export interface ClusterNetworkProps {
  readonly podCidr: string;
  /** AZs (2 is what an environment-agnostic stack can use). */
  readonly maxAzs?: number;
}

export class ClusterNetwork extends Construct {
  readonly vpc: ec2.Vpc;
  readonly podSubnets: readonly PodSubnet[];

  constructor(scope: Construct, id: string, props: ClusterNetworkProps) {
    super(scope, id);
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr('10.0.0.0/16'),
      maxAzs: props.maxAzs ?? 2,
      natGateways: 1, // a test cluster: one NAT gateway is enough, and each costs by the hour
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'nodes', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
      ],
    });
    const cidr = new ec2.CfnVPCCidrBlock(this, 'PodCidr', { vpcId: this.vpc.vpcId, cidrBlock: props.podCidr });

    const nodeSubnets = this.vpc.privateSubnets;
    // One /18 per AZ (16,379 usable addresses) out of the /16; Fn.cidr keeps it a template function
    // so the CIDR stays a parameter of the synthesized stack, not a computed constant.
    const blocks = Fn.cidr(props.podCidr, Math.max(4, nodeSubnets.length), '14');
    this.podSubnets = nodeSubnets.map((nodeSubnet, i) => {
      const subnet = new ec2.CfnSubnet(this, `PodSubnet${i + 1}`, {
        vpcId: this.vpc.vpcId,
        availabilityZone: nodeSubnet.availabilityZone,
        cidrBlock: Fn.select(i, blocks),
        tags: [{ key: 'Name', value: `${this.node.path}/PodSubnet${i + 1}` }],
      });
      subnet.node.addDependency(cidr);
      Tags.of(subnet).add(CNI_SUBNET_TAG, '1');
      new ec2.CfnSubnetRouteTableAssociation(this, `PodSubnet${i + 1}Routes`, {
        subnetId: subnet.ref,
        routeTableId: nodeSubnet.routeTable.routeTableId,
      });
      return { subnetId: subnet.ref, availabilityZone: nodeSubnet.availabilityZone, cidr: subnet.attrCidrBlock };
    });
  }
}
