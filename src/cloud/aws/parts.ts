/**
 * The building blocks of the AWS templates. Each returns resources whose references to things outside the block
 * come in as expressions, so the basic template wires them to its own resources and the advanced stacks wire them
 * to parameters or nested-stack outputs.
 */
import type { CloudInputs } from '../inputs.js';
import { renderNodeScript, type NodeRole } from '../node-script.js';
import { base64, getAtt, ifCond, join, NO_VALUE, ref, select, sub, tags, type Json, type Resource } from './cfn.js';

export type Resources = Record<string, Resource>;

/**
 * Ports the internal master load balancer (exhibitor_address) forwards to the masters, and why each one. Agents
 * and services find the masters through this name; the same list opens these ports to the VPC for the balancer's
 * health checks.
 */
export const INTERNAL_MASTER_PORTS: ReadonlyArray<readonly [number, string]> = [
  [80, 'Admin Router (HTTP): the DC/OS API and UI for nodes and services'],
  [443, 'Admin Router (HTTPS)'],
  [2181, 'ZooKeeper: Mesos and Marathon leader election'],
  [5050, 'Mesos master: agents register here'],
  [8080, 'Marathon'],
  [8181, 'Exhibitor: agents read the master list from exhibitor_address:8181'],
];

/** Ports open to the operator's network (AdminLocation) on masters, and to everyone on public agents. */
export const ADMIN_PORTS: ReadonlyArray<readonly [number, number, string]> = [
  [22, 22, 'SSH for the operator'],
  [80, 80, 'Admin Router (HTTP): DC/OS UI and API'],
  [443, 443, 'Admin Router (HTTPS): DC/OS UI and API'],
];
export const PUBLIC_AGENT_WORLD_PORTS: ReadonlyArray<readonly [number, number, string]> = [
  [80, 80, 'public services (e.g. Marathon-LB, Edge-LB) over HTTP'],
  [443, 443, 'public services over HTTPS'],
  [10000, 10100, 'Marathon-LB service ports'],
];
export const PUBLIC_AGENT_ADMIN_PORTS: ReadonlyArray<readonly [number, number, string]> = [
  [22, 22, 'SSH for the operator'],
  [9090, 9090, 'Marathon-LB statistics'],
];

export const SG = {
  master: 'MasterSecurityGroup',
  agent: 'AgentSecurityGroup',
  publicAgent: 'PublicAgentSecurityGroup',
} as const;

/** A new VPC: one public subnet (load balancers, public agents, the NAT gateway) and one private one, in the region's first zone. */
export function newVpc(c: CloudInputs): Resources {
  const t = (n: string): Json[] => tags(c.clusterName, n);
  return {
    Vpc: {
      Type: 'AWS::EC2::VPC',
      Properties: { CidrBlock: '10.0.0.0/16', EnableDnsSupport: true, EnableDnsHostnames: true, Tags: t('vpc') },
    },
    InternetGateway: { Type: 'AWS::EC2::InternetGateway', Properties: { Tags: t('igw') } },
    GatewayAttachment: {
      Type: 'AWS::EC2::VPCGatewayAttachment',
      Properties: { VpcId: ref('Vpc'), InternetGatewayId: ref('InternetGateway') },
    },
    PublicSubnet: {
      Type: 'AWS::EC2::Subnet',
      Properties: {
        VpcId: ref('Vpc'),
        CidrBlock: '10.0.0.0/20',
        AvailabilityZone: select(0, { 'Fn::GetAZs': '' }),
        MapPublicIpOnLaunch: true,
        Tags: t('public'),
      },
    },
    PrivateSubnet: {
      Type: 'AWS::EC2::Subnet',
      Properties: {
        VpcId: ref('Vpc'),
        CidrBlock: '10.0.16.0/20',
        AvailabilityZone: select(0, { 'Fn::GetAZs': '' }),
        Tags: t('private'),
      },
    },
    PublicRouteTable: { Type: 'AWS::EC2::RouteTable', Properties: { VpcId: ref('Vpc'), Tags: t('public') } },
    PublicRoute: {
      Type: 'AWS::EC2::Route',
      DependsOn: 'GatewayAttachment',
      Properties: {
        RouteTableId: ref('PublicRouteTable'),
        DestinationCidrBlock: '0.0.0.0/0',
        GatewayId: ref('InternetGateway'),
      },
    },
    PublicSubnetRoutes: {
      Type: 'AWS::EC2::SubnetRouteTableAssociation',
      Properties: { SubnetId: ref('PublicSubnet'), RouteTableId: ref('PublicRouteTable') },
    },
    NatAddress: {
      Type: 'AWS::EC2::EIP',
      DependsOn: 'GatewayAttachment',
      Properties: { Domain: 'vpc', Tags: t('nat') },
    },
    NatGateway: {
      Type: 'AWS::EC2::NatGateway',
      Properties: { AllocationId: getAtt('NatAddress', 'AllocationId'), SubnetId: ref('PublicSubnet'), Tags: t('nat') },
    },
    PrivateRouteTable: { Type: 'AWS::EC2::RouteTable', Properties: { VpcId: ref('Vpc'), Tags: t('private') } },
    PrivateRoute: {
      Type: 'AWS::EC2::Route',
      Properties: {
        RouteTableId: ref('PrivateRouteTable'),
        DestinationCidrBlock: '0.0.0.0/0',
        NatGatewayId: ref('NatGateway'),
      },
    },
    PrivateSubnetRoutes: {
      Type: 'AWS::EC2::SubnetRouteTableAssociation',
      Properties: { SubnetId: ref('PrivateSubnet'), RouteTableId: ref('PrivateRouteTable') },
    },
  };
}

export interface SecurityInput {
  vpcId: Json;
  vpcCidr: Json;
  adminLocation: Json;
}

/**
 * The three node security groups. DC/OS nodes talk to each other on many ports (Mesos, ZooKeeper, dcos-net's DNS,
 * overlay VXLAN, task ports), so traffic between the cluster's groups is open on every protocol and port, as the
 * DC/OS 1.11 network requirements ask. From outside: the operator's network reaches SSH and Admin Router, the world
 * reaches the public agents' service ports.
 */
export function securityGroups(c: CloudInputs, s: SecurityInput): Resources {
  const out: Resources = {};
  const groups: ReadonlyArray<readonly [string, string]> = [
    [SG.master, 'DC/OS masters'],
    [SG.agent, 'DC/OS private agents'],
    [SG.publicAgent, 'DC/OS public agents'],
  ];
  for (const [name, what] of groups) {
    out[name] = {
      Type: 'AWS::EC2::SecurityGroup',
      Properties: { GroupDescription: what, VpcId: s.vpcId, Tags: tags(c.clusterName, name) },
    };
  }
  for (const [to] of groups) {
    for (const [from] of groups) {
      out[`${to}From${from.replace('SecurityGroup', '')}`] = {
        Type: 'AWS::EC2::SecurityGroupIngress',
        Properties: {
          GroupId: ref(to),
          IpProtocol: '-1',
          SourceSecurityGroupId: ref(from),
          Description: 'all traffic between DC/OS nodes',
        },
      };
    }
  }
  const rule = (group: string, id: string, from: number, to: number, cidr: Json, why: string): void => {
    out[`${group}${id}`] = {
      Type: 'AWS::EC2::SecurityGroupIngress',
      Properties: {
        GroupId: ref(group),
        IpProtocol: 'tcp',
        FromPort: from,
        ToPort: to,
        CidrIp: cidr,
        Description: why,
      },
    };
  };
  for (const [from, to, why] of ADMIN_PORTS) rule(SG.master, `Admin${from}`, from, to, s.adminLocation, why);
  for (const [port, why] of INTERNAL_MASTER_PORTS)
    rule(SG.master, `Vpc${port}`, port, port, s.vpcCidr, `internal load balancer traffic and health checks: ${why}`);
  for (const [from, to, why] of PUBLIC_AGENT_WORLD_PORTS)
    rule(SG.publicAgent, `World${from}`, from, to, '0.0.0.0/0', why);
  for (const [from, to, why] of PUBLIC_AGENT_ADMIN_PORTS)
    rule(SG.publicAgent, `Admin${from}`, from, to, s.adminLocation, why);
  return out;
}

/** The masters' instance role: read and write the Exhibitor state under s3://bucket/prefix, nothing else. */
export function exhibitorRole(c: CloudInputs): Resources {
  if (c.backend.kind !== 'aws_s3') return {};
  const bucketArn = `arn:\${AWS::Partition}:s3:::${c.backend.bucket}`;
  return {
    MasterRole: {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        },
        Policies: [
          {
            PolicyName: 'exhibitor-s3',
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                { Effect: 'Allow', Action: ['s3:ListBucket'], Resource: sub(bucketArn) },
                {
                  Effect: 'Allow',
                  Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
                  Resource: sub(`${bucketArn}/${c.backend.prefix}*`),
                },
              ],
            },
          },
        ],
      },
    },
    MasterInstanceProfile: { Type: 'AWS::IAM::InstanceProfile', Properties: { Roles: [ref('MasterRole')] } },
  };
}

export interface BalancerInput {
  vpcId: Json;
  privateSubnets: Json;
  publicSubnets: Json;
}

/** Target group names of each balancer, for the scaling groups to register with. */
export const INTERNAL_TARGETS = INTERNAL_MASTER_PORTS.map(([p]) => `InternalMasterTargets${p}`);
export const PUBLIC_MASTER_TARGETS = ['PublicMasterTargets80', 'PublicMasterTargets443'];
export const PUBLIC_AGENT_TARGETS = ['PublicAgentTargets80', 'PublicAgentTargets443'];

/**
 * Network load balancers: the internal one behind exhibitor_address (every master port the cluster uses), an
 * internet-facing one for the operator (Admin Router), and one for the public agents' services. NLBs keep the
 * client address, so the security groups above decide who gets in.
 */
export function balancers(c: CloudInputs, b: BalancerInput): Resources {
  const out: Resources = {};
  const lb = (name: string, scheme: 'internal' | 'internet-facing', subnets: Json): void => {
    out[name] = {
      Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
      Properties: {
        Type: 'network',
        Scheme: scheme,
        Subnets: subnets,
        LoadBalancerAttributes: [{ Key: 'load_balancing.cross_zone.enabled', Value: 'true' }],
        Tags: tags(c.clusterName, name),
      },
    };
  };
  const target = (lbName: string, tgName: string, port: number): void => {
    const props: Record<string, Json> = {
      Port: port,
      Protocol: 'TCP',
      VpcId: b.vpcId,
      TargetType: 'instance',
      HealthCheckProtocol: 'TCP',
      Tags: tags(c.clusterName, tgName),
    };
    // Masters use exhibitor_address too: with the client address kept, a master balanced to itself would see its own
    // address as the source and the connection would hang (NLB hairpinning). Internal traffic then comes from the
    // balancer's VPC addresses, which the master group admits on these ports.
    if (lbName === 'InternalMasterLoadBalancer')
      props.TargetGroupAttributes = [{ Key: 'preserve_client_ip.enabled', Value: 'false' }];
    out[tgName] = { Type: 'AWS::ElasticLoadBalancingV2::TargetGroup', Properties: props };
    out[`${tgName}Listener`] = {
      Type: 'AWS::ElasticLoadBalancingV2::Listener',
      Properties: {
        LoadBalancerArn: ref(lbName),
        Port: port,
        Protocol: 'TCP',
        DefaultActions: [{ Type: 'forward', TargetGroupArn: ref(tgName) }],
      },
    };
  };
  lb('InternalMasterLoadBalancer', 'internal', b.privateSubnets);
  INTERNAL_MASTER_PORTS.forEach(([port], i) => target('InternalMasterLoadBalancer', INTERNAL_TARGETS[i]!, port));
  lb('PublicMasterLoadBalancer', 'internet-facing', b.publicSubnets);
  target('PublicMasterLoadBalancer', PUBLIC_MASTER_TARGETS[0]!, 80);
  target('PublicMasterLoadBalancer', PUBLIC_MASTER_TARGETS[1]!, 443);
  lb('PublicAgentLoadBalancer', 'internet-facing', b.publicSubnets);
  target('PublicAgentLoadBalancer', PUBLIC_AGENT_TARGETS[0]!, 80);
  target('PublicAgentLoadBalancer', PUBLIC_AGENT_TARGETS[1]!, 443);
  return out;
}

/**
 * exhibitor_address from config.yaml, made real: a private hosted zone of exactly that name in the cluster's VPC,
 * whose apex is an alias of the internal master load balancer.
 */
export function exhibitorDns(c: CloudInputs, vpcId: Json): Resources {
  return {
    ExhibitorZone: {
      Type: 'AWS::Route53::HostedZone',
      Properties: {
        Name: c.exhibitorAddress,
        VPCs: [{ VPCId: vpcId, VPCRegion: ref('AWS::Region') }],
        HostedZoneConfig: { Comment: `exhibitor_address of DC/OS cluster ${c.clusterName}` },
      },
    },
    ExhibitorRecord: {
      Type: 'AWS::Route53::RecordSet',
      Properties: {
        HostedZoneId: ref('ExhibitorZone'),
        Name: `${c.exhibitorAddress}.`,
        Type: 'A',
        AliasTarget: {
          DNSName: getAtt('InternalMasterLoadBalancer', 'DNSName'),
          HostedZoneId: getAtt('InternalMasterLoadBalancer', 'CanonicalHostedZoneID'),
        },
      },
    },
  };
}

export interface NodeGroupInput {
  role: NodeRole;
  /** Logical-id prefix: Master, PrivateAgent, PublicAgent. */
  name: string;
  subnets: Json;
  securityGroups: Json;
  targetGroups?: Json;
  instanceProfileArn?: Json;
  count: { min: Json; max: Json; desired: Json };
  instanceType: Json;
  keyName: Json;
  imageId: Json;
  publicIp: boolean;
}

/** One role's nodes: a launch template whose user data installs that role, and its auto scaling group. */
export function nodeGroup(c: CloudInputs, g: NodeGroupInput): Resources {
  const script = renderNodeScript({ bootstrapUrl: c.bootstrapUrl, installSha256: c.installSha256, role: g.role });
  const data: Record<string, Json> = {
    ImageId: g.imageId,
    InstanceType: g.instanceType,
    KeyName: g.keyName,
    UserData: base64(script),
    // IMDSv2 only; hop limit 2 so containers on the node reach it too (fault-domain-detect, ip-detect use it).
    MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 2, HttpEndpoint: 'enabled' },
    TagSpecifications: [{ ResourceType: 'instance', Tags: tags(c.clusterName, g.name) }],
  };
  if (g.instanceProfileArn !== undefined) data.IamInstanceProfile = { Arn: g.instanceProfileArn };
  if (g.publicIp)
    data.NetworkInterfaces = [{ DeviceIndex: 0, AssociatePublicIpAddress: true, Groups: g.securityGroups }];
  else data.SecurityGroupIds = g.securityGroups;
  const group: Record<string, Json> = {
    LaunchTemplate: {
      LaunchTemplateId: ref(`${g.name}LaunchTemplate`),
      Version: getAtt(`${g.name}LaunchTemplate`, 'LatestVersionNumber'),
    },
    MinSize: g.count.min,
    MaxSize: g.count.max,
    DesiredCapacity: g.count.desired,
    VPCZoneIdentifier: g.subnets,
    Tags: [{ Key: 'dcos-cluster', Value: c.clusterName, PropagateAtLaunch: true }],
  };
  if (g.targetGroups !== undefined) group.TargetGroupARNs = g.targetGroups;
  return {
    [`${g.name}LaunchTemplate`]: { Type: 'AWS::EC2::LaunchTemplate', Properties: { LaunchTemplateData: data } },
    [`${g.name}Group`]: { Type: 'AWS::AutoScaling::AutoScalingGroup', Properties: group },
  };
}

/** Target groups given as a comma list parameter that may be empty (an agent stack with no load balancer). */
export function optionalTargets(condition: string, param: string): Json {
  return ifCond(condition, ref(param), NO_VALUE);
}

export const joinList = (list: Json): Json => join(',', list);
