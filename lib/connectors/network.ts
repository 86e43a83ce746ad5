// Where the connector Lambdas run when the stage reaches its schedulers over a private network
// (stage config connectorsVpc): isolated subnets (no internet route, no public IP), a security
// group whose only egress is the schedulers' networks on the schedulers' ports and HTTPS to the VPC
// endpoints of the AWS services the connectors call, and those endpoints. Routes from the subnets
// to the scheduler CIDRs (a VPN or Direct Connect attachment) belong to the site's network team.
import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { StageConfig } from '../config/schema';
import type { Site } from '../../lambdas/domain/catalogue';

type VpcConfig = NonNullable<StageConfig['connectorsVpc']>;

/** The AWS services the connector functions (and the Lambda service for them) reach through interface endpoints. */
export const INTERFACE_ENDPOINTS: [string, ec2.InterfaceVpcEndpointAwsService][] = [
  ['SecretsManager', ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER],
  ['StepFunctions', ec2.InterfaceVpcEndpointAwsService.STEP_FUNCTIONS],
  ['EventBridge', ec2.InterfaceVpcEndpointAwsService.EVENTBRIDGE],
  ['Lambda', ec2.InterfaceVpcEndpointAwsService.LAMBDA],
  ['Kms', ec2.InterfaceVpcEndpointAwsService.KMS],
  ['Logs', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS],
  ['XRay', ec2.InterfaceVpcEndpointAwsService.XRAY],
];

/** host:port of every site's scheduler endpoint (http → 80, https → 443 unless the URL says). */
export function schedulerPorts(sites: readonly Site[]): number[] {
  const ports = new Set<number>();
  for (const s of sites) {
    const u = new URL(s.scheduler.endpoint);
    ports.add(u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80);
  }
  return [...ports].sort((a, b) => a - b);
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

/** Whether two IPv4 CIDRs share any address. */
export function cidrsOverlap(a: string, b: string): boolean {
  const range = (c: string) => {
    const [ip, bits] = c.split('/');
    const size = 2 ** (32 - Number(bits));
    const start = Math.floor(ipv4ToInt(ip) / size) * size;
    return [start, start + size - 1];
  };
  const [a0, a1] = range(a);
  const [b0, b1] = range(b);
  return a0 <= b1 && b0 <= a1;
}

export interface ConnectorNetworkProps {
  config: VpcConfig;
  sites: readonly Site[];
  logRetentionDays: number;
  retainData: boolean;
}

export class ConnectorNetwork extends Construct {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: ConnectorNetworkProps) {
    super(scope, id);
    const cfg = props.config;
    if (!cfg.dynamoDbPrefixListId) {
      throw new Error(
        "connectorsVpc.dynamoDbPrefixListId is required: the connectors' security group allows HTTPS only to the VPC endpoints, and DynamoDB's gateway endpoint is reached through the region's managed prefix list " +
          '(aws ec2 describe-managed-prefix-lists --filters Name=prefix-list-name,Values=com.amazonaws.<region>.dynamodb)',
      );
    }
    for (const c of cfg.schedulerCidrs) {
      if (!cfg.vpcId && cidrsOverlap(c, cfg.cidr)) throw new Error(`connectorsVpc.cidr ${cfg.cidr} overlaps the scheduler network ${c}; choose another`);
    }

    if (cfg.vpcId) {
      // A context lookup (cached in cdk.context.json): synth needs credentials once, then not again.
      this.vpc = ec2.Vpc.fromLookup(this, 'Vpc', { vpcId: cfg.vpcId });
    } else {
      const flowLogs = new logs.LogGroup(this, 'FlowLogs', {
        retention: props.logRetentionDays as logs.RetentionDays,
        removalPolicy: props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      });
      this.vpc = new ec2.Vpc(this, 'Vpc', {
        ipAddresses: ec2.IpAddresses.cidr(cfg.cidr),
        maxAzs: 2,
        natGateways: 0,
        // no public subnets at all: nothing here can reach or be reached from the internet
        subnetConfiguration: [{ name: 'connectors', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 26 }],
        // KAIRR attaches nothing to the default security group; restricting it would add a custom-resource Lambda
        restrictDefaultSecurityGroup: false,
        flowLogs: { all: { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs), trafficType: ec2.FlowLogTrafficType.ALL } },
      });
    }

    this.securityGroup = new ec2.SecurityGroup(this, 'Connectors', {
      vpc: this.vpc,
      allowAllOutbound: false,
      description: 'KAIRR connector functions: egress only to the schedulers and the AWS service endpoints',
    });
    const endpoints = new ec2.SecurityGroup(this, 'Endpoints', {
      vpc: this.vpc,
      allowAllOutbound: false,
      description: 'KAIRR connectors VPC endpoints: HTTPS from the connector functions only',
    });
    endpoints.addIngressRule(this.securityGroup, ec2.Port.tcp(443), 'HTTPS from the connector functions');
    this.securityGroup.addEgressRule(endpoints, ec2.Port.tcp(443), 'HTTPS to the interface endpoints');
    this.securityGroup.addEgressRule(ec2.Peer.prefixList(cfg.dynamoDbPrefixListId), ec2.Port.tcp(443), 'HTTPS to DynamoDB through the gateway endpoint');
    for (const cidr of cfg.schedulerCidrs) {
      for (const port of schedulerPorts(props.sites)) this.securityGroup.addEgressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(port), `scheduler REST API (port ${port}) in ${cidr}`);
    }

    this.vpc.addGatewayEndpoint('DynamoDb', { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB, subnets: [this.subnets] });
    for (const [name, service] of INTERFACE_ENDPOINTS) {
      this.vpc.addInterfaceEndpoint(name, { service, subnets: this.subnets, securityGroups: [endpoints], privateDnsEnabled: true, open: false });
    }
  }
}
