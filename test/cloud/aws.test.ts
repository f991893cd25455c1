/**
 * The AWS templates, built from genconf-examples/cloud-aws, checked offline against the AWS resource specification
 * (test/cloud/cfn-check.ts), compared with their golden files, and read for what they promise: user data that
 * installs each role with the baked-in sha256, masters = num_masters, no credentials.
 */
import { describe, expect, it } from 'vitest';
import { advancedTemplates, basicTemplate } from '../../src/cloud/aws/templates.js';
import { renderNodeScript } from '../../src/cloud/node-script.js';
import { checkTemplate, loadSpec } from './cfn-check.js';
import { CREDENTIAL_PATTERNS, exampleInputs, FIXED_SHA, golden } from './helpers.js';

type Obj = Record<string, unknown>;
const json = (t: unknown): Obj => JSON.parse(JSON.stringify(t)) as Obj;
const text = (t: unknown): string => `${JSON.stringify(t, null, 2)}\n`;

function userData(template: Obj, launchTemplate: string): string {
  const lt = (
    template.Resources as Record<string, { Properties: { LaunchTemplateData: { UserData: { 'Fn::Base64': string } } } }>
  )[launchTemplate]!;
  return lt.Properties.LaunchTemplateData.UserData['Fn::Base64'];
}

describe('AWS CloudFormation templates', () => {
  it('the specification loads offline from the dev dependency', () => {
    const spec = loadSpec();
    expect(spec.resources.get('AWS::AutoScaling::AutoScalingGroup')?.properties.MaxSize?.required).toBe(true);
    expect(spec.resources.size).toBeGreaterThan(1000);
  });

  it('basic: valid against the specification, references all resolve, every parameter used; golden', async () => {
    const c = await exampleInputs('cloud-aws', 'aws');
    const t = json(basicTemplate(c));
    expect(checkTemplate('basic.json', t)).toEqual([]);
    golden('aws-basic.json', text(basicTemplate(c)));
  });

  it('advanced (existing VPC): every stack valid, zen wires only parameters and outputs that exist; golden', async () => {
    const c = await exampleInputs('cloud-aws', 'aws');
    const set = advancedTemplates(c);
    const all = Object.fromEntries(Object.entries(set).map(([k, v]) => [k, json(v)]));
    for (const [name, t] of Object.entries(all)) expect(checkTemplate(name, t, all), name).toEqual([]);
    for (const [name, t] of Object.entries(set)) golden(`aws-advanced/${name}`, text(t));
    // The agent stacks stand alone: no reference to another stack, only parameters.
    for (const name of ['private-agent.json', 'public-agent.json']) {
      expect(Object.keys(all[name]!.Parameters as Obj)).toEqual(
        expect.arrayContaining(['SubnetIds', 'SecurityGroupIds', 'ImageId', 'KeyName']),
      );
      expect(JSON.stringify(all[name])).not.toMatch(/ImportValue|Outputs\./);
    }
  });

  it('user data of each role is the node script for that role, with the sha256 baked in', async () => {
    const c = await exampleInputs('cloud-aws', 'aws');
    const t = json(basicTemplate(c));
    for (const [lt, role] of [
      ['MasterLaunchTemplate', 'master'],
      ['PrivateAgentLaunchTemplate', 'slave'],
      ['PublicAgentLaunchTemplate', 'slave_public'],
    ] as const) {
      const script = userData(t, lt);
      expect(script).toBe(renderNodeScript({ bootstrapUrl: c.bootstrapUrl, installSha256: FIXED_SHA, role }));
      expect(script).toContain(`INSTALL_SHA256=${FIXED_SHA}\n`);
      expect(script).toContain(`ROLE=${role}\n`);
    }
    const masters = (t.Resources as Record<string, { Properties: Obj }>).MasterGroup!.Properties;
    expect([masters.MinSize, masters.MaxSize, masters.DesiredCapacity]).toEqual(['3', '3', '3']);
  });

  it('exhibitor_address from config.yaml is a private zone aliasing the internal master balancer', async () => {
    const c = await exampleInputs('cloud-aws', 'aws');
    const r = json(basicTemplate(c)).Resources as Record<string, { Properties: Obj }>;
    expect(r.ExhibitorZone!.Properties.Name).toBe('masters.example-aws.internal');
    expect(r.ExhibitorRecord!.Properties.AliasTarget).toEqual({
      DNSName: { 'Fn::GetAtt': ['InternalMasterLoadBalancer', 'DNSName'] },
      HostedZoneId: { 'Fn::GetAtt': ['InternalMasterLoadBalancer', 'CanonicalHostedZoneID'] },
    });
    // The masters' role reaches only the configured bucket and prefix.
    const policy = JSON.stringify(r.MasterRole!.Properties.Policies);
    expect(policy).toContain('s3:::example-dcos-exhibitor/example-aws*');
  });

  it('no credentials in any template; nothing secret needed as a parameter', async () => {
    const c = await exampleInputs('cloud-aws', 'aws');
    const texts = [text(basicTemplate(c)), ...Object.values(advancedTemplates(c)).map(text)];
    for (const s of texts) for (const p of CREDENTIAL_PATTERNS) expect(s).not.toMatch(p);
  });
});

describe('the checker finds what is wrong (it can fail)', () => {
  const broken = async (
    edit: (t: Obj & { Resources: Record<string, Obj & { Properties: Obj }>; Parameters: Obj }) => void,
  ): Promise<string[]> => {
    const c = await exampleInputs('cloud-aws', 'aws');
    const t = json(basicTemplate(c)) as Obj & { Resources: Record<string, Obj & { Properties: Obj }>; Parameters: Obj };
    edit(t);
    return checkTemplate('basic.json', t);
  };

  it('unknown type, unknown property, missing required property, wrong value type', async () => {
    expect(await broken((t) => (t.Resources.Vpc!.Type = 'AWS::EC2::Vpcc'))).toEqual([
      "basic.json: Resources.Vpc: unknown resource type 'AWS::EC2::Vpcc'",
    ]);
    expect(await broken((t) => (t.Resources.Vpc!.Properties.CidrBlok = '10.0.0.0/16'))).toContain(
      "basic.json: Resources.Vpc.Properties.CidrBlok: AWS::EC2::VPC has no property 'CidrBlok'",
    );
    expect(await broken((t) => delete t.Resources.MasterGroup!.Properties.MaxSize)).toContain(
      "basic.json: Resources.MasterGroup.Properties: AWS::AutoScaling::AutoScalingGroup requires 'MaxSize'",
    );
    expect(await broken((t) => (t.Resources.Vpc!.Properties.EnableDnsSupport = 'yes'))).toContain(
      'basic.json: Resources.Vpc.Properties.EnableDnsSupport: expects a boolean, got "yes"',
    );
    expect(
      await broken((t) => (t.Resources.PublicSubnet!.Properties.AvailabilityZone = { 'Fn::GetAZs': '' })),
    ).toContain(
      'basic.json: Resources.PublicSubnet.Properties.AvailabilityZone: expects a string, Fn::GetAZs gives a list',
    );
  });

  it('dangling Ref, GetAtt attribute, Sub variable, DependsOn; unused parameter', async () => {
    expect(await broken((t) => (t.Resources.PublicSubnet!.Properties.VpcId = { Ref: 'Vpcc' }))).toContain(
      "basic.json: Resources.PublicSubnet.Properties.VpcId: Ref to unknown 'Vpcc'",
    );
    expect(
      await broken((t) => (t.Resources.NatGateway!.Properties.AllocationId = { 'Fn::GetAtt': ['NatAddress', 'Nope'] })),
    ).toContain(
      "basic.json: Resources.NatGateway.Properties.AllocationId: AWS::EC2::EIP has no attribute 'Nope' for Fn::GetAtt",
    );
    expect(
      await broken(
        (t) => ((t.Outputs as Obj).DcosUrl = { Description: 'x', Value: { 'Fn::Sub': 'http://${Nothing}' } }),
      ),
    ).toContain('basic.json: Outputs.DcosUrl.Value: Fn::Sub variable ${Nothing} names nothing');
    expect(await broken((t) => (t.Resources.PublicRoute!.DependsOn = 'Gateway'))).toContain(
      "basic.json: Resources.PublicRoute.DependsOn: names unknown resource 'Gateway'",
    );
    expect(await broken((t) => (t.Parameters.Extra = { Type: 'String', Description: 'x' }))).toEqual([
      'basic.json: Parameters.Extra: is never used',
    ]);
  });

  it('a nested stack given a parameter its child lacks, or reading a missing output', async () => {
    const c = await exampleInputs('cloud-aws', 'aws');
    const all = Object.fromEntries(Object.entries(advancedTemplates(c)).map(([k, v]) => [k, json(v)]));
    const zen = all['zen.json'] as { Resources: Record<string, { Properties: { Parameters: Obj } }> };
    zen.Resources.Masters!.Properties.Parameters.Bogus = 'x';
    zen.Resources.PrivateAgents!.Properties.Parameters.SecurityGroupIds = {
      'Fn::GetAtt': ['Infrastructure', 'Outputs.NoSuch'],
    };
    delete zen.Resources.PublicAgents!.Properties.Parameters.KeyName;
    expect(checkTemplate('zen.json', all['zen.json']!, all)).toEqual([
      "zen.json: Resources.Masters.Parameters.Bogus: master.json has no parameter 'Bogus'",
      "zen.json: Resources.PrivateAgents.Properties.Parameters.SecurityGroupIds: infra.json has no output 'NoSuch'",
      "zen.json: Resources.PublicAgents.Parameters: public-agent.json needs 'KeyName'",
    ]);
  });
});
