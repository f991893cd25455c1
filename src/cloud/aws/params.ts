/** Template parameters the generator cannot know: typed, with defaults and allowed values where they make sense. */
import type { Parameter } from './cfn.js';

const INSTANCE_TYPES = [
  'm5.xlarge',
  'm5.2xlarge',
  'm5.4xlarge',
  'm6i.xlarge',
  'm6i.2xlarge',
  'm6i.4xlarge',
  'r5.xlarge',
  'r5.2xlarge',
  'r6i.xlarge',
  'r6i.2xlarge',
  'c5.2xlarge',
  'c5.4xlarge',
  'c6i.2xlarge',
  'c6i.4xlarge',
];

const CIDR = '^(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})/(\\d{1,2})$';

export const PARAMS = {
  KeyName: { Type: 'AWS::EC2::KeyPair::KeyName', Description: 'EC2 key pair for SSH to the nodes' },
  ImageId: {
    Type: 'AWS::EC2::Image::Id',
    Description:
      'AMI of the nodes: an OS DC/OS 1.11 supports (CentOS/RHEL 7 with Docker, or CoreOS) with a root volume of at least 60 GiB for masters',
  },
  MasterInstanceType: {
    Type: 'String',
    Description: 'EC2 instance type of the masters',
    Default: 'm5.xlarge',
    AllowedValues: INSTANCE_TYPES,
  },
  PrivateAgentInstanceType: {
    Type: 'String',
    Description: 'EC2 instance type of the private agents',
    Default: 'm5.2xlarge',
    AllowedValues: INSTANCE_TYPES,
  },
  PublicAgentInstanceType: {
    Type: 'String',
    Description: 'EC2 instance type of the public agents',
    Default: 'm5.xlarge',
    AllowedValues: INSTANCE_TYPES,
  },
  PrivateAgentCount: {
    Type: 'Number',
    Description: 'Number of private agents',
    Default: 3,
    MinValue: 0,
    MaxValue: 100,
  },
  PublicAgentCount: { Type: 'Number', Description: 'Number of public agents', Default: 1, MinValue: 0, MaxValue: 20 },
  AdminLocation: {
    Type: 'String',
    Description: 'The network (CIDR) allowed to reach SSH and the DC/OS UI/API; 0.0.0.0/0 opens them to everyone',
    Default: '0.0.0.0/0',
    AllowedPattern: CIDR,
    ConstraintDescription: 'a CIDR block such as 203.0.113.0/24',
  },
  VpcId: {
    Type: 'AWS::EC2::VPC::Id',
    Description: 'The existing VPC of the cluster (DNS support and DNS hostnames enabled)',
  },
  VpcCidr: {
    Type: 'String',
    Description: 'CIDR block of that VPC: load balancer health checks come from it',
    AllowedPattern: CIDR,
    ConstraintDescription: 'a CIDR block such as 10.0.0.0/16',
  },
  PrivateSubnetIds: {
    Type: 'List<AWS::EC2::Subnet::Id>',
    Description:
      'Subnets of the masters, the private agents and the internal load balancer (with a route to the internet or to bootstrap_url)',
  },
  PublicSubnetIds: {
    Type: 'List<AWS::EC2::Subnet::Id>',
    Description: 'Subnets with an internet gateway route: public agents and the internet-facing load balancers',
  },
  SubnetIds: { Type: 'List<AWS::EC2::Subnet::Id>', Description: 'Subnets to start these nodes in' },
  SecurityGroupIds: {
    Type: 'List<AWS::EC2::SecurityGroup::Id>',
    Description:
      'Security groups of these nodes (the infrastructure stack outputs them; in another VPC, groups that allow the traffic the README lists)',
  },
  MasterTargetGroupArns: {
    Type: 'CommaDelimitedList',
    Description: 'Target groups the masters register with (infrastructure stack output)',
  },
  TargetGroupArns: {
    Type: 'CommaDelimitedList',
    Description: 'Target groups these public agents register with; empty for none',
    Default: '',
  },
  MasterInstanceProfileArn: {
    Type: 'String',
    Description: 'Instance profile of the masters, for the Exhibitor S3 bucket (infrastructure stack output)',
  },
  InstanceType: {
    Type: 'String',
    Description: 'EC2 instance type of these agents',
    Default: 'm5.2xlarge',
    AllowedValues: INSTANCE_TYPES,
  },
  AgentCount: { Type: 'Number', Description: 'Number of agents in this stack', Default: 3, MinValue: 0, MaxValue: 100 },
} satisfies Record<string, Parameter>;

export type ParamName = keyof typeof PARAMS;

export function params(...names: ParamName[]): Record<string, Parameter> {
  const out: Record<string, Parameter> = {};
  for (const n of names) out[n] = PARAMS[n];
  return out;
}
