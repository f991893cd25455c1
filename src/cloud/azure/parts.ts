/**
 * The building blocks of the ARM template (arm.ts): ARM expressions, security rules and groups, public addresses and
 * load balancers, each a resource object with the API version api-versions.ts pins.
 */
import { API_VERSIONS } from './api-versions.js';

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type Obj = { [key: string]: Json };

/** `[resourceId(type, name)]`, `variables(name)` and `[parameters(name)]`: ARM template expressions. */
export const id = (type: string, name: string): string => `[resourceId('${type}', ${name})]`;
export const v = (name: string): string => `variables('${name}')`;
export const p = (name: string): string => `[parameters('${name}')]`;

export function rule(name: string, priority: number, ports: string, source: string, why: string): Obj {
  return {
    name,
    properties: {
      description: why,
      priority,
      protocol: 'Tcp',
      access: 'Allow',
      direction: 'Inbound',
      sourceAddressPrefix: source,
      sourcePortRange: '*',
      destinationAddressPrefix: '*',
      destinationPortRange: ports,
    },
  };
}

export function nsg(name: string, rules: Obj[]): Obj {
  return {
    type: 'Microsoft.Network/networkSecurityGroups',
    apiVersion: API_VERSIONS['Microsoft.Network/networkSecurityGroups'],
    name: `[${v(name)}]`,
    location: p('location'),
    properties: { securityRules: rules },
  };
}

export function publicIp(name: string): Obj {
  return {
    type: 'Microsoft.Network/publicIPAddresses',
    apiVersion: API_VERSIONS['Microsoft.Network/publicIPAddresses'],
    name: `[${v(name)}]`,
    location: p('location'),
    sku: { name: 'Standard' },
    properties: { publicIPAllocationMethod: 'Static' },
  };
}

export function loadBalancer(name: string, frontend: Obj, ports: number[], dependsOn: string[]): Obj {
  const lbId = `resourceId('Microsoft.Network/loadBalancers', ${v(name)})`;
  return {
    type: 'Microsoft.Network/loadBalancers',
    apiVersion: API_VERSIONS['Microsoft.Network/loadBalancers'],
    name: `[${v(name)}]`,
    location: p('location'),
    sku: { name: 'Standard' },
    dependsOn,
    properties: {
      frontendIPConfigurations: [{ name: 'frontend', properties: frontend }],
      backendAddressPools: [{ name: 'nodes' }],
      probes: ports.map((port) => ({
        name: `tcp${port}`,
        properties: { protocol: 'Tcp', port, intervalInSeconds: 5, numberOfProbes: 2 },
      })),
      loadBalancingRules: ports.map((port) => ({
        name: `tcp${port}`,
        properties: {
          frontendIPConfiguration: { id: `[concat(${lbId}, '/frontendIPConfigurations/frontend')]` },
          backendAddressPool: { id: `[concat(${lbId}, '/backendAddressPools/nodes')]` },
          probe: { id: `[concat(${lbId}, '/probes/tcp${port}')]` },
          protocol: 'Tcp',
          frontendPort: port,
          backendPort: port,
          enableFloatingIP: false,
          idleTimeoutInMinutes: 30,
        },
      })),
    },
  };
}
