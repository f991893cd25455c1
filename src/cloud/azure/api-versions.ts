/**
 * Every Azure resource type the ARM template uses, with the apiVersion it is written for. Source: the published
 * Azure Resource Manager schemas (github.com/Azure/azure-resource-manager-schemas), files
 * schemas/2023-09-01/Microsoft.Network.NRP.json (network types) and schemas/2023-09-01/Microsoft.Compute.json
 * (virtualMachineScaleSets), which define these types at this apiVersion. The tests check that the template uses no
 * other type and no other apiVersion.
 */
export const API_VERSIONS = {
  'Microsoft.Network/networkSecurityGroups': '2023-09-01',
  'Microsoft.Network/publicIPAddresses': '2023-09-01',
  'Microsoft.Network/natGateways': '2023-09-01',
  'Microsoft.Network/virtualNetworks': '2023-09-01',
  'Microsoft.Network/loadBalancers': '2023-09-01',
  'Microsoft.Compute/virtualMachineScaleSets': '2023-09-01',
} as const;
