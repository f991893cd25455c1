/**
 * The building blocks DC/OS 1.11's rules were made of, with their exact messages: JSON lists, IPv4 lists,
 * integer ranges (Python int() syntax), absolute paths, and Python's ipaddress.ip_network parsing.
 */
import { assertRule, oneOf, RuleFailure } from './engine.js';
import { PyDict, pyStr, pyStrRepr, pyTypeName, type PyValue } from '../pycompat/py.js';
import { PyJsonDecodeError, pyJsonLoads } from '../pycompat/json.js';

/** Python's int(str): surrounding whitespace, a sign, digits with single underscores between them. */
export function pyInt(text: string): bigint | null {
  const m = /^[\s]*([-+]?)([0-9](?:_?[0-9])*)[\s]*$/u.exec(text);
  if (!m) return null;
  const digits = m[2]!.replace(/_/g, '');
  // Python 3 rejects leading zeros in int() only for literals, not for int('007'): that is 7.
  const v = BigInt(digits);
  return m[1] === '-' ? -v : v;
}

export function validateTrueFalse(value: string): void {
  oneOf(value, ['true', 'false']);
}

export function validateIntInRange(value: string, low: number, high: number | null): void {
  const v = pyInt(value);
  assertRule(v !== null, `Must be an integer but got a str: ${value}`);
  if (high === null) assertRule(BigInt(low) <= v, `Must be above ${low}`);
  else assertRule(BigInt(low) <= v && v <= BigInt(high), `Must be between ${low} and ${high} inclusive`);
}

/** json.loads, turning Python's ValueError into the caller's message. */
export function loadJson(value: string, onError: (pythonMessage: string) => string): PyValue {
  try {
    return pyJsonLoads(value);
  } catch (err) {
    if (err instanceof PyJsonDecodeError) throw new RuleFailure(onError(err.message));
    throw err;
  }
}

/**
 * The lists read last (text → items). The SSH rules read agent_list up to four times in one judgement (its own rule,
 * two list comparisons, the host overrides): a list of 10,000 hosts is parsed once. Bounded, and only lists that
 * were valid are kept; callers get their own copy.
 */
const recentLists: Array<readonly [text: string, items: readonly string[]]> = [];
const RECENT_LISTS = 4;

export function validateJsonList(value: string): string[] {
  for (const [text, items] of recentLists) if (text === value) return items.slice();
  const items = readJsonList(value);
  if (recentLists.unshift([value, items.slice()]) > RECENT_LISTS) recentLists.pop();
  return items;
}

/** JSON.parse, when it reads a list of strings: then json.loads reads the same list (see readJsonList). */
function plainStringList(value: string): string[] | undefined {
  let items: unknown;
  try {
    items = JSON.parse(value);
  } catch {
    return undefined;
  }
  return Array.isArray(items) && items.every((x) => typeof x === 'string') ? items : undefined;
}

function readJsonList(value: string): string[] {
  // The built-in parser first: where it reads a list of strings, Python's json.loads reads the same strings (same
  // whitespace, escapes and control-character rule; what JSON.parse refuses, like NaN, is not such a list). Every
  // other text takes the Python-exact path below, for its messages.
  const plain = plainStringList(value);
  if (plain !== undefined) return plain;
  const items = loadJson(
    value,
    (why) =>
      `Must be a JSON formatted list, but couldn't be parsed the given value \`${value}\` as one because of: ${why}`,
  );
  assertRule(Array.isArray(items), `Must be a JSON list. Got a ${pyTypeName(items)}`);
  const nonStr = items.filter((x) => typeof x !== 'string');
  assertRule(
    nonStr.length === 0,
    `Items in list must be strings, got invalid values: ${nonStr.map((x) => `${pyStr(x)} type ${pyTypeName(x)}`).join(', ')}`,
  );
  return items as string[];
}

export function checkDuplicates(items: readonly string[]): void {
  // Almost every list has none: one set says so; the counting below (for the message) runs only when there is one.
  if (new Set(items).size === items.length) return;
  const counts = new Map<string, number>();
  for (const i of items) counts.set(i, (counts.get(i) ?? 0) + 1);
  const dups = [...counts].filter(([, n]) => n > 1);
  assertRule(
    dups.length === 0,
    `List cannot contain duplicates: ${dups.map(([k, n]) => `${k} appears ${n} times`).join(', ')}`,
  );
}

const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])';
const IPV4 = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);

/** socket.inet_pton(AF_INET, …): exactly four decimal octets, no leading zeros. */
export function validIPv4(ip: string): boolean {
  return IPV4.test(ip);
}

/** socket.inet_pton(AF_INET6, …). (Hand-written: node:net costs start-up time.) */
export function validIPv6(ip: string): boolean {
  return parseV6(ip) !== null;
}

export function validateIPv4Addresses(ips: readonly string[]): void {
  const invalid = ips.filter((ip) => !validIPv4(ip));
  assertRule(invalid.length === 0, `Invalid IPv4 addresses in list: ${invalid.join(', ')}`);
}

export function validateIPv6Addresses(ips: readonly string[]): void {
  const invalid = ips.filter((ip) => !validIPv6(ip));
  assertRule(invalid.length === 0, `Invalid IPv6 addresses in list: ${invalid.join(', ')}`);
}

/**
 * `master_list: 10.0.0.11` (one address, or `a,b`, where a list belongs): 1.11 read the text as JSON and answered
 * "Extra data: line 1 column 5 (char 4)". Still invalid, but say that it must be a list, and how to write one.
 */
function refuseBareAddresses(value: string): void {
  if (!/^\s*\d{1,3}(\.\d{1,3}){3}(:\d+)?(\s*[,\s]\s*\d{1,3}(\.\d{1,3}){3}(:\d+)?)*\s*$/.test(value)) return;
  try {
    pyJsonLoads(value);
    return;
  } catch {
    const items = value.split(/[,\s]+/).filter((x) => x !== '');
    throw new RuleFailure(
      `Must be a list of addresses, not the single value \`${value}\`: write it as a YAML list, [${items.join(', ')}], ` +
        `or put each address on its own line below the key, as \`- ${items[0]}\``,
    );
  }
}

export function validateIpList(value: string): string[] {
  refuseBareAddresses(value);
  const items = validateJsonList(value);
  checkDuplicates(items);
  validateIPv4Addresses(items);
  return items;
}

/** `ip[:port]` items: the port (after the last ':') must be 1..65535; then every ip must be IPv4. */
export function validateIpPortList(value: string): void {
  refuseBareAddresses(value);
  const items = validateJsonList(value);
  checkDuplicates(items);
  const ips: string[] = [];
  for (const node of items) {
    const at = node.lastIndexOf(':');
    if (at === -1) ips.push(node);
    else {
      validateIntInRange(node.slice(at + 1), 1, 65535);
      ips.push(node.slice(0, at));
    }
  }
  validateIPv4Addresses(ips);
}

export function validateAbsolutePath(path: string): void {
  assertRule(path.startsWith('/'), 'Must be an absolute filesystem path starting with /');
}

/** json.loads + "is a dict", with the original's two messages. */
export function validateJsonDictionary(data: string): PyDict {
  const loaded = loadJson(data, () => `Must be valid JSON. Got: ${data}`);
  assertRule(loaded instanceof PyDict, `Must be a JSON dictionary. Got a ${pyTypeName(loaded)}`);
  return loaded;
}

/** The Python 3.6 ipaddress rules for one dotted-quad octet (no ambiguous octal-looking values). */
function parseV4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let v = 0;
  for (const p of parts) {
    if (!/^[0-9]{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    if (n > 7 && p[0] === '0') return null;
    v = v * 256 + n;
  }
  return v;
}

/** An IPv6 address as inet_pton reads it: hex groups, at most one `::`, an optional dotted-quad tail. */
function parseV6(text: string): bigint | null {
  let s = text;
  const v4 = /(?:^|:)([0-9.]+)$/.exec(s);
  if (v4 && v4[1]!.includes('.')) {
    if (!IPV4.test(v4[1]!)) return null;
    const n = parseV4(v4[1]!)!;
    s = s.slice(0, -v4[1]!.length) + `${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const parts = s.split('::');
  if (parts.length > 2) return null;
  const split = (x: string): string[] | null => {
    if (x === '') return [];
    const g = x.split(':');
    return g.every((p) => /^[0-9a-fA-F]{1,4}$/.test(p)) ? g : null;
  };
  const h = split(parts[0]!);
  const t = parts.length === 2 ? split(parts[1]!) : [];
  if (h === null || t === null) return null;
  let groups: string[];
  if (parts.length === 2) {
    if (h.length + t.length > 7) return null;
    groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  } else groups = h;
  if (groups.length !== 8) return null;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** ipaddress.ip_network(value) with strict=True: an IPv4 or IPv6 network without host bits set. */
export function isIpNetwork(value: PyValue): boolean {
  if (typeof value === 'bigint') return value >= 0n && value < 1n << 128n;
  if (typeof value === 'boolean') return true;
  if (typeof value !== 'string') return false;
  const parts = value.split('/');
  if (parts.length > 2) return false;
  const [addr, mask] = parts as [string, string | undefined];
  const a4 = parseV4(addr);
  if (a4 !== null) {
    let prefix: number | null = 32;
    if (mask !== undefined) prefix = parsePrefix(mask, 32) ?? v4MaskToPrefix(mask);
    if (prefix === null) return false;
    const hostBits = prefix === 32 ? 0 : a4 % 2 ** (32 - prefix);
    return hostBits === 0;
  }
  const a6 = parseV6(addr);
  if (a6 === null) return false;
  const prefix = mask === undefined ? 128 : parsePrefix(mask, 128);
  if (prefix === null) return false;
  return (a6 & ((1n << BigInt(128 - prefix)) - 1n)) === 0n;
}

function parsePrefix(mask: string, max: number): number | null {
  if (!/^[0-9]+$/.test(mask)) return null;
  const n = Number(mask);
  return n <= max ? n : null;
}

/** Netmask (255.255.255.0) or hostmask (0.0.0.255) form of an IPv4 prefix. */
function v4MaskToPrefix(mask: string): number | null {
  const m = parseV4(mask);
  if (m === null) return null;
  for (let p = 0; p <= 32; p++) {
    const net = p === 0 ? 0 : (0xffffffff << (32 - p)) >>> 0;
    if (m === net || m === ~net >>> 0) return p;
  }
  return null;
}

/** The exploded form of an IPv6 address (ipaddress.ip_address(x).exploded). */
export function explodeIPv6(ip: string): string | null {
  const v = parseV6(ip);
  if (v === null) return null;
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((v >> BigInt(i * 16)) & 0xffffn).toString(16).padStart(4, '0'));
  return groups.join(':');
}

export function pyIntLiteralError(value: string): string {
  return `invalid literal for int() with base 10: ${pyStrRepr(value)}`;
}
