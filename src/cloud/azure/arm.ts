/**
 * The Azure Resource Manager template: a virtual network with master, agent and public agent subnets, network
 * security groups, a NAT gateway for outbound traffic, the internal master load balancer at exhibitor_address, the
 * public master and public agent load balancers, and three VM scale sets whose custom data installs their role.
 * Pure: inputs in, template object out.
 */
import type { CloudInputs } from '../inputs.js';
import { renderNodeScript, type NodeRole } from '../node-script.js';
import { API_VERSIONS } from './api-versions.js';
import { id, loadBalancer, nsg, p, publicIp, rule, v, type Json, type Obj } from './parts.js';

export const ARM_SCHEMA = 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#';

/** Ports of the internal master load balancer (exhibitor_address), as on AWS. */
const INTERNAL_PORTS = [80, 443, 2181, 5050, 8080, 8181];

const VM_SIZES = [
  'Standard_D4s_v3',
  'Standard_D8s_v3',
  'Standard_D16s_v3',
  'Standard_D4s_v5',
  'Standard_D8s_v5',
  'Standard_D16s_v5',
  'Standard_E4s_v5',
  'Standard_E8s_v5',
];

/** Subnets inside the /16 that holds exhibitor_address: the masters' /24 contains it, agents get /20s beside it. */
export function azureNetwork(exhibitorAddress: string): {
  vnet: string;
  masters: string;
  agents: string;
  publicAgents: string;
} {
  const [a, b, c] = exhibitorAddress.split('.').map(Number) as [number, number, number];
  const free = [...Array(16).keys()].map((k) => k * 16).filter((start) => c < start || c > start + 15);
  return {
    vnet: `${a}.${b}.0.0/16`,
    masters: `${a}.${b}.${c}.0/24`,
    agents: `${a}.${b}.${free[0]}.0/20`,
    publicAgents: `${a}.${b}.${free[1]}.0/20`,
  };
}

interface ScaleSetInput {
  name: string;
  role: NodeRole;
  capacity: Json;
  size: string;
  subnet: string;
  pool?: string;
  diskGb: number;
}

function scaleSet(c: CloudInputs, s: ScaleSetInput): { resource: Obj; script: string } {
  const script = renderNodeScript({ bootstrapUrl: c.bootstrapUrl, installSha256: c.installSha256, role: s.role });
  const ipConfig: Obj = {
    subnet: { id: `[resourceId('Microsoft.Network/virtualNetworks/subnets', ${v('vnetName')}, '${s.subnet}')]` },
  };
  if (s.pool)
    ipConfig.loadBalancerBackendAddressPools = [
      { id: `[concat(resourceId('Microsoft.Network/loadBalancers', ${v(s.pool)}), '/backendAddressPools/nodes')]` },
    ];
  const dependsOn = [id('Microsoft.Network/virtualNetworks', v('vnetName'))];
  if (s.pool) dependsOn.push(id('Microsoft.Network/loadBalancers', v(s.pool)));
  const resource: Obj = {
    type: 'Microsoft.Compute/virtualMachineScaleSets',
    apiVersion: API_VERSIONS['Microsoft.Compute/virtualMachineScaleSets'],
    name: `[${v(s.name)}]`,
    location: p('location'),
    dependsOn,
    sku: { name: p(s.size), tier: 'Standard', capacity: s.capacity },
    properties: {
      overprovision: false,
      upgradePolicy: { mode: 'Manual' },
      virtualMachineProfile: {
        osProfile: {
          computerNamePrefix: `[${v(s.name)}]`,
          adminUsername: p('adminUsername'),
          // Runs through cloud-init like AWS user data; the same script, checked with the same sha256.
          customData: `[base64(${v(`${s.name}Script`)})]`,
          linuxConfiguration: {
            disablePasswordAuthentication: true,
            ssh: {
              publicKeys: [
                {
                  path: `[concat('/home/', parameters('adminUsername'), '/.ssh/authorized_keys')]`,
                  keyData: p('sshPublicKey'),
                },
              ],
            },
          },
        },
        storageProfile: {
          imageReference: {
            publisher: p('imagePublisher'),
            offer: p('imageOffer'),
            sku: p('imageSku'),
            version: p('imageVersion'),
          },
          osDisk: {
            createOption: 'FromImage',
            diskSizeGB: s.diskGb,
            managedDisk: { storageAccountType: 'Premium_LRS' },
          },
        },
        networkProfile: {
          networkInterfaceConfigurations: [
            {
              name: 'nic',
              properties: { primary: true, ipConfigurations: [{ name: 'ipconfig', properties: ipConfig }] },
            },
          ],
        },
      },
    },
  };
  return { resource, script };
}

export function armTemplate(c: CloudInputs): Obj {
  const net = azureNetwork(c.exhibitorAddress);
  const sets = {
    masters: scaleSet(c, {
      name: 'masters',
      role: 'master',
      capacity: c.numMasters,
      size: 'masterVmSize',
      subnet: 'masters',
      pool: 'internalLb',
      diskGb: 128,
    }),
    agents: scaleSet(c, {
      name: 'agents',
      role: 'slave',
      capacity: p('agentCount'),
      size: 'agentVmSize',
      subnet: 'agents',
      diskGb: 128,
    }),
    publicAgents: scaleSet(c, {
      name: 'publicAgents',
      role: 'slave_public',
      capacity: p('publicAgentCount'),
      size: 'publicAgentVmSize',
      subnet: 'publicAgents',
      pool: 'publicAgentLb',
      diskGb: 128,
    }),
  };
  const variables: Obj = {
    vnetName: "[concat(parameters('clusterPrefix'), '-vnet')]",
    mastersNsg: "[concat(parameters('clusterPrefix'), '-masters-nsg')]",
    agentsNsg: "[concat(parameters('clusterPrefix'), '-agents-nsg')]",
    publicAgentsNsg: "[concat(parameters('clusterPrefix'), '-public-agents-nsg')]",
    natIp: "[concat(parameters('clusterPrefix'), '-nat-ip')]",
    natGateway: "[concat(parameters('clusterPrefix'), '-nat')]",
    masterLbIp: "[concat(parameters('clusterPrefix'), '-master-ip')]",
    publicAgentLbIp: "[concat(parameters('clusterPrefix'), '-public-agent-ip')]",
    internalLb: "[concat(parameters('clusterPrefix'), '-internal-master-lb')]",
    masterLb: "[concat(parameters('clusterPrefix'), '-master-lb')]",
    publicAgentLb: "[concat(parameters('clusterPrefix'), '-public-agent-lb')]",
    masters: "[concat(parameters('clusterPrefix'), '-master')]",
    agents: "[concat(parameters('clusterPrefix'), '-agent')]",
    publicAgents: "[concat(parameters('clusterPrefix'), '-public-agent')]",
  };
  // The node scripts live in variables so the resources stay readable; customData base64-encodes them.
  for (const [name, set] of Object.entries(sets)) variables[`${name}Script`] = set.script;
  const subnetOf = (name: string, prefix: string, nsgVar: string): Obj => ({
    name,
    properties: {
      addressPrefix: prefix,
      networkSecurityGroup: { id: id('Microsoft.Network/networkSecurityGroups', v(nsgVar)) },
      // Outbound (bootstrap_url, registries) for every node: a Standard load balancer gives its pool none.
      natGateway: { id: id('Microsoft.Network/natGateways', v('natGateway')) },
    },
  });
  const resources: Obj[] = [
    nsg('mastersNsg', [
      rule('ssh', 100, '22', p('adminLocation'), 'SSH for the operator'),
      rule('admin-router-http', 110, '80', p('adminLocation'), 'Admin Router (HTTP): DC/OS UI and API'),
      rule('admin-router-https', 120, '443', p('adminLocation'), 'Admin Router (HTTPS): DC/OS UI and API'),
    ]),
    nsg('agentsNsg', []),
    nsg('publicAgentsNsg', [
      rule('http', 100, '80', 'Internet', 'public services (e.g. Marathon-LB, Edge-LB) over HTTP'),
      rule('https', 110, '443', 'Internet', 'public services over HTTPS'),
      rule('marathon-lb-ports', 120, '10000-10100', 'Internet', 'Marathon-LB service ports'),
      rule('ssh', 130, '22', p('adminLocation'), 'SSH for the operator'),
      rule('marathon-lb-stats', 140, '9090', p('adminLocation'), 'Marathon-LB statistics'),
    ]),
    publicIp('natIp'),
    {
      type: 'Microsoft.Network/natGateways',
      apiVersion: API_VERSIONS['Microsoft.Network/natGateways'],
      name: `[${v('natGateway')}]`,
      location: p('location'),
      sku: { name: 'Standard' },
      dependsOn: [id('Microsoft.Network/publicIPAddresses', v('natIp'))],
      properties: { publicIpAddresses: [{ id: id('Microsoft.Network/publicIPAddresses', v('natIp')) }] },
    },
    {
      type: 'Microsoft.Network/virtualNetworks',
      apiVersion: API_VERSIONS['Microsoft.Network/virtualNetworks'],
      name: `[${v('vnetName')}]`,
      location: p('location'),
      dependsOn: [
        id('Microsoft.Network/networkSecurityGroups', v('mastersNsg')),
        id('Microsoft.Network/networkSecurityGroups', v('agentsNsg')),
        id('Microsoft.Network/networkSecurityGroups', v('publicAgentsNsg')),
        id('Microsoft.Network/natGateways', v('natGateway')),
      ],
      properties: {
        addressSpace: { addressPrefixes: [net.vnet] },
        subnets: [
          subnetOf('masters', net.masters, 'mastersNsg'),
          subnetOf('agents', net.agents, 'agentsNsg'),
          subnetOf('publicAgents', net.publicAgents, 'publicAgentsNsg'),
        ],
      },
    },
    publicIp('masterLbIp'),
    publicIp('publicAgentLbIp'),
    loadBalancer(
      'internalLb',
      {
        privateIPAllocationMethod: 'Static',
        privateIPAddress: c.exhibitorAddress,
        subnet: { id: `[resourceId('Microsoft.Network/virtualNetworks/subnets', ${v('vnetName')}, 'masters')]` },
      },
      INTERNAL_PORTS,
      [id('Microsoft.Network/virtualNetworks', v('vnetName'))],
    ),
    loadBalancer(
      'masterLb',
      { publicIPAddress: { id: id('Microsoft.Network/publicIPAddresses', v('masterLbIp')) } },
      [80, 443],
      [id('Microsoft.Network/publicIPAddresses', v('masterLbIp'))],
    ),
    loadBalancer(
      'publicAgentLb',
      { publicIPAddress: { id: id('Microsoft.Network/publicIPAddresses', v('publicAgentLbIp')) } },
      [80, 443],
      [id('Microsoft.Network/publicIPAddresses', v('publicAgentLbIp'))],
    ),
    sets.masters.resource,
    sets.agents.resource,
    sets.publicAgents.resource,
  ];
  // Masters sit in two backend pools: the internal one (exhibitor_address) and the public Admin Router one.
  const masterSet = sets.masters.resource as unknown as {
    dependsOn: string[];
    properties: {
      virtualMachineProfile: {
        networkProfile: {
          networkInterfaceConfigurations: Array<{ properties: { ipConfigurations: Array<{ properties: Obj }> } }>;
        };
      };
    };
  };
  const ip0 =
    masterSet.properties.virtualMachineProfile.networkProfile.networkInterfaceConfigurations[0]!.properties
      .ipConfigurations[0]!.properties;
  (ip0.loadBalancerBackendAddressPools as Json[]).push({
    id: `[concat(resourceId('Microsoft.Network/loadBalancers', ${v('masterLb')}), '/backendAddressPools/nodes')]`,
  });
  masterSet.dependsOn.push(id('Microsoft.Network/loadBalancers', v('masterLb')));

  return {
    $schema: ARM_SCHEMA,
    contentVersion: '1.0.0.0',
    metadata: {
      description: `DC/OS 1.11 cluster '${c.clusterName}' (config ${c.configId.slice(0, 12)}), ${c.numMasters} master(s). Generated by dcos-genconf.`,
    },
    parameters: {
      location: {
        type: 'string',
        defaultValue: '[resourceGroup().location]',
        metadata: { description: "Azure region (default: the resource group's)" },
      },
      clusterPrefix: {
        type: 'string',
        defaultValue: 'dcos',
        minLength: 1,
        maxLength: 20,
        metadata: { description: 'Prefix of every resource name' },
      },
      adminUsername: { type: 'string', defaultValue: 'core', metadata: { description: 'Linux user for SSH' } },
      sshPublicKey: {
        type: 'string',
        metadata: { description: 'SSH public key (the OpenSSH line) of the admin user; password log-in is disabled' },
      },
      adminLocation: {
        type: 'string',
        defaultValue: '*',
        metadata: {
          description: 'Source address prefix (CIDR) allowed to reach SSH and the DC/OS UI/API; * for everyone',
        },
      },
      masterVmSize: {
        type: 'string',
        defaultValue: 'Standard_D4s_v3',
        allowedValues: VM_SIZES,
        metadata: { description: 'VM size of the masters' },
      },
      agentVmSize: {
        type: 'string',
        defaultValue: 'Standard_D8s_v3',
        allowedValues: VM_SIZES,
        metadata: { description: 'VM size of the private agents' },
      },
      publicAgentVmSize: {
        type: 'string',
        defaultValue: 'Standard_D4s_v3',
        allowedValues: VM_SIZES,
        metadata: { description: 'VM size of the public agents' },
      },
      agentCount: {
        type: 'int',
        defaultValue: 3,
        minValue: 0,
        maxValue: 100,
        metadata: { description: 'Number of private agents' },
      },
      publicAgentCount: {
        type: 'int',
        defaultValue: 1,
        minValue: 0,
        maxValue: 20,
        metadata: { description: 'Number of public agents' },
      },
      imagePublisher: {
        type: 'string',
        defaultValue: 'OpenLogic',
        metadata: { description: 'Image publisher (an OS DC/OS 1.11 supports, with Docker)' },
      },
      imageOffer: { type: 'string', defaultValue: 'CentOS', metadata: { description: 'Image offer' } },
      imageSku: { type: 'string', defaultValue: '7.5', metadata: { description: 'Image SKU' } },
      imageVersion: { type: 'string', defaultValue: 'latest', metadata: { description: 'Image version' } },
    },
    variables,
    resources,
    outputs: {
      dcosUrl: {
        type: 'string',
        value: `[concat('http://', reference(${id('Microsoft.Network/publicIPAddresses', v('masterLbIp')).slice(1, -1)}).ipAddress)]`,
      },
      publicAgentAddress: {
        type: 'string',
        value: `[reference(${id('Microsoft.Network/publicIPAddresses', v('publicAgentLbIp')).slice(1, -1)}).ipAddress]`,
      },
      exhibitorAddress: { type: 'string', value: c.exhibitorAddress },
    },
  };
}
