/**
 * The overlay network rules of DC/OS 1.11 (`dcos_overlay_network` JSON) and the derived
 * `dcos_overlay_network_json` (IPv6-only overlays disabled when IPv6 is off).
 */
import { assertRule, RuleFailure } from './engine.js';
import { isIpNetwork, loadJson, pyInt } from './validators.js';
import { PyDict, PyFloat, pyRepr, pyStr, type PyValue } from '../pycompat/py.js';
import { pyJsonDumps } from '../pycompat/json.js';

function loadOverlay(value: string): PyValue {
  return loadJson(value, () => `Provided input was not valid JSON: ${value}`);
}

function intOf(v: PyValue): bigint | null {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (v instanceof PyFloat) return Number.isFinite(v.value) ? BigInt(Math.trunc(v.value)) : null;
  if (typeof v === 'string') return pyInt(v);
  return null;
}

export function validateDcosOverlayNetwork(value: string): void {
  const network = loadOverlay(value);
  // The original indexed into whatever JSON it got; anything but an object crashed it. Say so instead.
  assertRule(
    network instanceof PyDict,
    `Must be a JSON object with "overlays", "vtep_mac_oui" and "vtep_subnet". Got: ${value}`,
  );
  assertRule(network.has('overlays'), () => `Missing "overlays" in overlay configuration ${pyRepr(network)}`);
  const overlays = network.get('overlays')!;
  assertRule(Array.isArray(overlays), () => `"overlays" must be a list of overlay definitions: ${pyRepr(overlays)}`);
  assertRule(overlays.length > 0, () => `"Overlays" network configuration is empty: ${pyRepr(network)}`);
  for (const overlay of overlays) {
    assertRule(overlay instanceof PyDict, () => `Each overlay must be a JSON object: ${pyRepr(overlay)}`);
    assertRule(overlay.has('name'), () => `Missing "name" in overlay configuration: ${pyRepr(overlay)}`);
    const name = overlay.get('name')!;
    assertRule(typeof name === 'string', () => `Overlay name must be a string: ${pyRepr(name)}`);
    assertRule([...name].length <= 13, `Overlay name cannot exceed 13 characters:${name}`);
    assertRule(
      overlay.has('subnet') || overlay.has('subnet6'),
      () => `Missing "subnet" or "subnet6" in overlay configuration:${pyRepr(overlay)}`,
    );
    assertRule(network.has('vtep_mac_oui'), () => `Missing "vtep_mac_oui" in overlay configuration ${pyRepr(network)}`);
    const mtu = network.has('vtep_mtu') ? network.get('vtep_mtu')! : 1500n;
    const mtuInt = intOf(mtu);
    assertRule(
      mtuInt !== null,
      `Must be an integer but got a ${typeof mtu === 'string' ? 'str' : 'value'}: ${pyStr(mtu)}`,
    );
    assertRule(mtuInt >= 552n, 'Must be above 552');
    if (overlay.has('subnet')) {
      assertRule(network.has('vtep_subnet'), () => `Missing "vtep_subnet" in overlay configuration ${pyRepr(network)}`);
      const vtep = network.get('vtep_subnet')!;
      assertRule(isIpNetwork(vtep), `Incorrect value for vtep_subnet: ${pyStr(vtep)}. Only IPv4 values are allowed`);
      const subnet = overlay.get('subnet')!;
      assertRule(
        isIpNetwork(subnet),
        `Incorrect value for overlay subnet ${pyStr(subnet)}. Only IPv4 values are allowed`,
      );
    }
    if (overlay.has('subnet6')) {
      assertRule(
        network.has('vtep_subnet6'),
        () => `Missing "vtep_subnet6" in overlay configuration ${pyRepr(network)}`,
      );
      const vtep6 = network.get('vtep_subnet6')!;
      assertRule(isIpNetwork(vtep6), `Incorrect value for vtep_subnet6: ${pyStr(vtep6)}. Only IPv6 values are allowed`);
      const subnet6 = overlay.get('subnet6')!;
      assertRule(
        isIpNetwork(subnet6),
        `Incorrect value for overlay subnet6 ${pyStr(subnet6)}. Only IPv6 values are allowed`,
      );
    }
    if (overlay.has('enabled')) {
      const enabled = overlay.get('enabled')!;
      // Python: `x in [True, False]` also admits 1, 0 and 1.0.
      const ok =
        typeof enabled === 'boolean' ||
        enabled === 0n ||
        enabled === 1n ||
        (enabled instanceof PyFloat && (enabled.value === 0 || enabled.value === 1));
      if (!ok) throw new RuleFailure(`Must be one of 'True', 'False'. Got '${pyStr(enabled)}'.`);
    }
  }
}

export function calculateDcosOverlayNetworkJson(dcosOverlayNetwork: string, enableIpv6: string): string {
  const network = loadOverlay(dcosOverlayNetwork) as PyDict;
  const overlays = network.get('overlays') as PyValue[];
  for (const overlay of overlays) {
    if (enableIpv6 === 'false' && overlay instanceof PyDict && !overlay.has('subnet')) overlay.set('enabled', false);
  }
  return pyJsonDumps(network);
}

export function validateNetworkDefaultName(defaultName: string, dcosOverlayNetwork: string): void {
  const network = loadOverlay(dcosOverlayNetwork);
  const overlays = network instanceof PyDict ? network.get('overlays') : undefined;
  const names = Array.isArray(overlays) ? overlays.map((o) => (o instanceof PyDict ? o.get('name') : undefined)) : [];
  assertRule(
    names.includes(defaultName),
    `Default overlay network name does not reference a defined overlay network: ${defaultName}`,
  );
}
