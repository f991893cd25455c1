/**
 * The Azure Resource Manager template, built from genconf-examples/cloud-azure: checked offline (test/cloud/arm-check.ts
 * says exactly what is and is not checked), compared with its golden file, and read for what it promises.
 */
import { describe, expect, it } from 'vitest';
import { armTemplate, azureNetwork } from '../../src/cloud/azure/arm.js';
import { renderNodeScript } from '../../src/cloud/node-script.js';
import { checkArm } from './arm-check.js';
import { CREDENTIAL_PATTERNS, exampleInputs, FIXED_SHA, golden } from './helpers.js';

type Obj = Record<string, unknown>;
const text = (t: unknown): string => `${JSON.stringify(t, null, 2)}\n`;
const copy = (t: unknown): Obj => JSON.parse(JSON.stringify(t)) as Obj;

describe('Azure Resource Manager template', () => {
  it('passes the offline checks; golden', async () => {
    const c = await exampleInputs('cloud-azure', 'azure');
    expect(await checkArm(armTemplate(c))).toEqual([]);
    golden('azure-arm.json', text(armTemplate(c)));
  });

  it('custom data of each scale set is the node script for its role; masters = num_masters', async () => {
    const c = await exampleInputs('cloud-azure', 'azure');
    const t = copy(armTemplate(c)) as { variables: Record<string, string>; resources: Obj[] };
    for (const [v, role] of [
      ['mastersScript', 'master'],
      ['agentsScript', 'slave'],
      ['publicAgentsScript', 'slave_public'],
    ] as const) {
      expect(t.variables[v]).toBe(renderNodeScript({ bootstrapUrl: c.bootstrapUrl, installSha256: FIXED_SHA, role }));
    }
    const sets = t.resources.filter((r) => r.type === 'Microsoft.Compute/virtualMachineScaleSets') as Array<{
      name: string;
      sku: { capacity: unknown };
    }>;
    expect(sets.map((s) => [s.name, s.sku.capacity])).toEqual([
      ["[variables('masters')]", 3],
      ["[variables('agents')]", "[parameters('agentCount')]"],
      ["[variables('publicAgents')]", "[parameters('publicAgentCount')]"],
    ]);
    expect(text(t)).toContain('"customData": "[base64(variables(\'mastersScript\'))]"');
  });

  it('the internal master balancer sits at exhibitor_address inside the masters subnet', async () => {
    const c = await exampleInputs('cloud-azure', 'azure');
    expect(azureNetwork('10.32.0.10')).toEqual({
      vnet: '10.32.0.0/16',
      masters: '10.32.0.0/24',
      agents: '10.32.16.0/20',
      publicAgents: '10.32.32.0/20',
    });
    expect(azureNetwork('10.1.20.9')).toEqual({
      vnet: '10.1.0.0/16',
      masters: '10.1.20.0/24',
      agents: '10.1.0.0/20',
      publicAgents: '10.1.32.0/20',
    });
    const s = text(armTemplate(c));
    expect(s).toContain('"privateIPAddress": "10.32.0.10"');
  });

  it('no credentials; SSH keys only (password log-in disabled)', async () => {
    const c = await exampleInputs('cloud-azure', 'azure');
    const s = text(armTemplate(c));
    for (const p of CREDENTIAL_PATTERNS) expect(s).not.toMatch(p);
    expect(s).toContain('"disablePasswordAuthentication": true');
    expect(s).not.toMatch(/adminPassword/);
  });

  it('the checks can fail: unknown apiVersion, undeclared parameter, unused parameter, dangling dependsOn, bad envelope', async () => {
    const c = await exampleInputs('cloud-azure', 'azure');
    const t = copy(armTemplate(c)) as { resources: Obj[]; parameters: Obj; contentVersion: string };
    t.resources[0]!.apiVersion = '2015-01-01';
    (t.resources[1]!.properties as Obj).extra = "[parameters('nope')]";
    t.parameters.unused = { type: 'string' };
    (t.resources[4]!.dependsOn as string[]).push("[resourceId('Microsoft.Network/natGateways', variables('natIp'))]");
    t.contentVersion = '1.0';
    expect(await checkArm(t)).toEqual([
      'schema: /contentVersion must match pattern "^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$"',
      "parameters('nope') is not declared",
      "parameter 'unused' is never used",
      'resources[0]: Microsoft.Network/networkSecurityGroups apiVersion 2015-01-01, the list has 2023-09-01',
      "resources[4]: dependsOn: no resource Microsoft.Network/natGateways named variables('natIp')".replace(
        ': dependsOn',
        '.dependsOn',
      ),
    ]);
  });
});
