/**
 * A small model of the Python values DC/OS 1.11 worked with, and the two pieces of Python's `json` module
 * whose exact output the original's messages and arguments depend on: `json.dumps` (compact and indented,
 * ensure_ascii) and `json.loads` (with CPython's error messages, e.g. `Expecting value: line 1 column 1 (char 0)`).
 *
 * Ints are bigint (Python ints are unbounded), floats are wrapped so they never pass for ints, dicts keep
 * insertion order and may have non-string keys (YAML allows them).
 */

export class PyFloat {
  constructor(readonly value: number) {}
}

/** A YAML 1.1 timestamp PyYAML would have turned into a date/datetime; kept as its source text. */
export class PyTimestamp {
  constructor(readonly text: string) {}
}

export class PyDict {
  readonly entries: Array<[PyValue, PyValue]> = [];
  set(key: PyValue, value: PyValue): void {
    const k = dictKeyId(key);
    const at = this.entries.findIndex(([existing]) => dictKeyId(existing) === k);
    if (at >= 0) this.entries[at]![1] = value;
    else this.entries.push([key, value]);
  }
  get(key: string): PyValue | undefined {
    return this.entries.find(([k]) => k === key)?.[1];
  }
  has(key: string): boolean {
    return this.entries.some(([k]) => k === key);
  }
  keys(): PyValue[] {
    return this.entries.map(([k]) => k);
  }
  get size(): number {
    return this.entries.length;
  }
}

export type PyValue = string | bigint | boolean | null | PyFloat | PyTimestamp | PyValue[] | PyDict;

/** Python dict key identity: 1 == True == 1.0 hash alike; close enough for config files. */
function dictKeyId(key: PyValue): string {
  if (typeof key === 'string') return `s:${key}`;
  if (typeof key === 'boolean') return `n:${key ? 1 : 0}`;
  if (typeof key === 'bigint') return `n:${key}`;
  if (key instanceof PyFloat) return Number.isInteger(key.value) ? `n:${BigInt(key.value)}` : `f:${key.value}`;
  if (key === null) return 'null';
  if (key instanceof PyTimestamp) return `t:${key.text}`;
  return `o:${Math.random()}`;
}

/** Python's type names, as used in the original's messages (`Must be a JSON list. Got a dict`). */
export function pyTypeName(v: PyValue): string {
  if (typeof v === 'string') return 'str';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'boolean') return 'bool';
  if (v === null) return 'NoneType';
  if (v instanceof PyFloat) return 'float';
  if (v instanceof PyTimestamp) return 'datetime';
  if (Array.isArray(v)) return 'list';
  return 'dict';
}

/** Python's repr() of a float: shortest round-trip digits, exponent form outside [1e-4, 1e16). */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant, expStr] = x.toExponential().split('e') as [string, string];
  const exp = Number(expStr);
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  const sign = neg ? '-' : '';
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp) < 10 ? `0${Math.abs(exp)}` : String(Math.abs(exp));
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${e}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

/** Python's repr() of a str (quotes chosen as Python does; non-printable characters escaped). */
export function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

export class PyJsonTypeError extends Error {}

function jsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i]!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20 || c > 0x7e) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out + '"';
}

function jsonScalar(v: PyValue): string | undefined {
  if (typeof v === 'string') return jsonString(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v === null) return 'null';
  if (v instanceof PyFloat) {
    if (Number.isNaN(v.value)) return 'NaN';
    if (v.value === Infinity) return 'Infinity';
    if (v.value === -Infinity) return '-Infinity';
    return pyFloatRepr(v.value);
  }
  if (v instanceof PyTimestamp) throw new PyJsonTypeError(`Object of type datetime is not JSON serializable`);
  return undefined;
}

function jsonKey(k: PyValue): string {
  if (typeof k === 'string') return jsonString(k);
  if (typeof k === 'bigint' || typeof k === 'boolean' || k === null || k instanceof PyFloat) {
    const s = jsonScalar(k)!;
    return jsonString(k instanceof PyFloat ? pyFloatRepr(k.value) : s);
  }
  throw new PyJsonTypeError(`keys must be str, int, float, bool or None, not ${pyTypeName(k)}`);
}

const MAX_DEPTH = 900;

/**
 * Python `json.dumps(v)` (separators `, ` and `: `), or with `indent` Python's indented form
 * (item separator `,`). Throws PyJsonTypeError where Python would raise (dates, deep recursion).
 */
export function pyJsonDumps(v: PyValue, indent?: number, depth = 0, level = 0): string {
  return encodeJson(v, { indent, keySep: ': ', sortKeys: false }, depth, level);
}

/**
 * `json.dumps(v, indent=2, separators=(',', ':'), sort_keys=True)`: gen's "pretty" form, in which DC/OS
 * stored template_filenames, config_package_names and cluster-package-info.json.
 */
export function pyJsonPretty(v: PyValue): string {
  return encodeJson(v, { indent: 2, keySep: ':', sortKeys: true }, 0, 0);
}

interface EncodeOptions {
  indent: number | undefined;
  keySep: string;
  sortKeys: boolean;
}

function encodeJson(v: PyValue, opts: EncodeOptions, depth: number, level: number): string {
  if (depth > MAX_DEPTH) throw new PyJsonTypeError('maximum recursion depth exceeded while encoding a JSON object');
  const scalar = jsonScalar(v);
  if (scalar !== undefined) return scalar;
  const { indent } = opts;
  const nl = indent === undefined ? '' : '\n' + ' '.repeat(indent * (level + 1));
  const close = indent === undefined ? '' : '\n' + ' '.repeat(indent * level);
  const sep = indent === undefined ? ', ' : ',';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return '[' + nl + v.map((x) => encodeJson(x, opts, depth + 1, level + 1)).join(sep + nl) + close + ']';
  }
  const d = v as PyDict;
  if (d.size === 0) return '{}';
  let entries = d.entries;
  if (opts.sortKeys) entries = [...entries].sort(([a], [b]) => compareJsonKeys(a, b));
  return (
    '{' +
    nl +
    entries.map(([k, x]) => `${jsonKey(k)}${opts.keySep}${encodeJson(x, opts, depth + 1, level + 1)}`).join(sep + nl) +
    close +
    '}'
  );
}

/** sort_keys order (keys are str in every dict the bundle writer dumps). */
function compareJsonKeys(a: PyValue, b: PyValue): number {
  return pyStrCompare(String(a), String(b));
}

/** Python's str ordering: by code point (JS's `<` and default sort compare UTF-16 units). */
export function pyStrCompare(a: string, b: string): number {
  const ca = [...a];
  const cb = [...b];
  for (let k = 0; k < Math.min(ca.length, cb.length); k++) {
    const diff = ca[k]!.codePointAt(0)! - cb[k]!.codePointAt(0)!;
    if (diff !== 0) return diff;
  }
  return ca.length - cb.length;
}

/** A plain JS value in JSON's data model. */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [k: string]: Json };

/** The Python value json.loads would give for this JS value: integral numbers become int, others float. */
export function pyFromJson(value: Json): PyValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : new PyFloat(value);
  if (Array.isArray(value)) return (value as readonly Json[]).map(pyFromJson);
  const d = new PyDict();
  for (const [k, v] of Object.entries(value as { readonly [k: string]: Json })) d.set(k, pyFromJson(v));
  return d;
}

/** Python's json.JSONDecodeError text: `<msg>: line L column C (char P)`. */
export class PyJsonDecodeError extends Error {
  constructor(msg: string, doc: string, pos: number) {
    const lineno = countNewlines(doc, pos) + 1;
    const lastNl = doc.lastIndexOf('\n', pos - 1);
    const colno = lastNl === -1 || pos === 0 ? pos + 1 : pos - lastNl;
    super(`${msg}: line ${lineno} column ${colno} (char ${pos})`);
  }
}

function countNewlines(s: string, end: number): number {
  let n = 0;
  for (let i = 0; i < end && i < s.length; i++) if (s[i] === '\n') n++;
  return n;
}

const WS = /[ \t\n\r]*/y;
const NUMBER = /(-?(?:0|[1-9][0-9]*))(\.[0-9]+)?([eE][-+]?[0-9]+)?/y;

function skipWs(s: string, i: number): number {
  WS.lastIndex = i;
  WS.exec(s);
  return WS.lastIndex;
}

/** Python's StopIteration of the scanner: a position, caught one level up; not an Error (no stack to build). */
class StopScan {
  constructor(readonly pos: number) {}
}

/** Python `json.loads(s)` with CPython's messages. Positions count UTF-16 units (same as Python for BMP text). */
export function pyJsonLoads(s: string): PyValue {
  const start = skipWs(s, 0);
  let result: [PyValue, number];
  try {
    result = scanOnce(s, start, 0);
  } catch (e) {
    if (e instanceof StopScan) throw new PyJsonDecodeError('Expecting value', s, e.pos);
    throw e;
  }
  const end = skipWs(s, result[1]);
  if (end !== s.length) throw new PyJsonDecodeError('Extra data', s, end);
  return result[0];
}

function scanOnce(s: string, idx: number, depth: number): [PyValue, number] {
  if (depth > MAX_DEPTH) throw new PyJsonDecodeError('maximum recursion depth exceeded', s, idx);
  // eslint-disable-next-line @typescript-eslint/only-throw-error -- a control-flow signal, see StopScan
  if (idx >= s.length) throw new StopScan(idx);
  const ch = s[idx];
  if (ch === '"') return scanString(s, idx + 1);
  if (ch === '{') return scanObject(s, idx + 1, depth);
  if (ch === '[') return scanArray(s, idx + 1, depth);
  if (ch === 'n' && s.startsWith('null', idx)) return [null, idx + 4];
  if (ch === 't' && s.startsWith('true', idx)) return [true, idx + 4];
  if (ch === 'f' && s.startsWith('false', idx)) return [false, idx + 5];
  NUMBER.lastIndex = idx;
  const m = NUMBER.exec(s);
  if (m) {
    const [all, int, frac, exp] = m;
    if (frac || exp) return [new PyFloat(Number(all)), idx + all.length];
    return [BigInt(int!), idx + all.length];
  }
  if (ch === 'N' && s.startsWith('NaN', idx)) return [new PyFloat(NaN), idx + 3];
  if (ch === 'I' && s.startsWith('Infinity', idx)) return [new PyFloat(Infinity), idx + 8];
  if (ch === '-' && s.startsWith('-Infinity', idx)) return [new PyFloat(-Infinity), idx + 9];
  // eslint-disable-next-line @typescript-eslint/only-throw-error -- a control-flow signal, see StopScan
  throw new StopScan(idx);
}

const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

function scanString(s: string, end: number): [string, number] {
  const begin = end - 1;
  let out = '';
  for (;;) {
    let i = end;
    while (i < s.length && s[i] !== '"' && s[i] !== '\\' && s.charCodeAt(i) >= 0x20) i++;
    if (i >= s.length) throw new PyJsonDecodeError('Unterminated string starting at', s, begin);
    out += s.slice(end, i);
    const term = s[i]!;
    if (term === '"') return [out, i + 1];
    if (term !== '\\') throw new PyJsonDecodeError('Invalid control character at', s, i);
    const esc = s[i + 1];
    if (esc === undefined) throw new PyJsonDecodeError('Unterminated string starting at', s, begin);
    if (esc !== 'u') {
      const r = ESCAPES[esc];
      if (r === undefined) throw new PyJsonDecodeError('Invalid \\escape', s, i);
      out += r;
      end = i + 2;
      continue;
    }
    const hex = s.slice(i + 2, i + 6);
    if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new PyJsonDecodeError('Invalid \\uXXXX escape', s, i + 1);
    let cp = parseInt(hex, 16);
    end = i + 6;
    if (cp >= 0xd800 && cp <= 0xdbff && s[end] === '\\' && s[end + 1] === 'u') {
      const hex2 = s.slice(end + 2, end + 6);
      if (!/^[0-9a-fA-F]{4}$/.test(hex2)) throw new PyJsonDecodeError('Invalid \\uXXXX escape', s, end + 1);
      const lo = parseInt(hex2, 16);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        end += 6;
      }
    }
    out += String.fromCodePoint(cp);
  }
}

function scanObject(s: string, idx: number, depth: number): [PyDict, number] {
  const d = new PyDict();
  idx = skipWs(s, idx);
  if (s[idx] === '}') return [d, idx + 1];
  for (;;) {
    if (s[idx] !== '"') throw new PyJsonDecodeError('Expecting property name enclosed in double quotes', s, idx);
    const [key, afterKey] = scanString(s, idx + 1);
    idx = skipWs(s, afterKey);
    if (s[idx] !== ':') throw new PyJsonDecodeError("Expecting ':' delimiter", s, idx);
    idx = skipWs(s, idx + 1);
    let value: PyValue;
    [value, idx] = scanMember(s, idx, depth);
    d.set(key, value);
    idx = skipWs(s, idx);
    if (s[idx] === '}') return [d, idx + 1];
    if (s[idx] !== ',') throw new PyJsonDecodeError("Expecting ',' delimiter", s, idx);
    idx = skipWs(s, idx + 1);
  }
}

/** A value inside an object or array: where none starts, CPython says "Expecting value" at that position. */
function scanMember(s: string, idx: number, depth: number): [PyValue, number] {
  try {
    return scanOnce(s, idx, depth + 1);
  } catch (e) {
    if (e instanceof StopScan) throw new PyJsonDecodeError('Expecting value', s, e.pos);
    throw e;
  }
}

function scanArray(s: string, idx: number, depth: number): [PyValue[], number] {
  const out: PyValue[] = [];
  idx = skipWs(s, idx);
  if (s[idx] === ']') return [out, idx + 1];
  for (;;) {
    let value: PyValue;
    [value, idx] = scanMember(s, idx, depth);
    out.push(value);
    idx = skipWs(s, idx);
    if (s[idx] === ']') return [out, idx + 1];
    if (s[idx] !== ',') throw new PyJsonDecodeError("Expecting ',' delimiter", s, idx);
    idx = skipWs(s, idx + 1);
  }
}

/** Python's str() of a value inside a message (e.g. `{} is not a list`): lists/dicts use repr of their items. */
export function pyStr(v: PyValue): string {
  if (typeof v === 'string') return v;
  return pyRepr(v);
}

export function pyRepr(v: PyValue): string {
  if (typeof v === 'string') return pyStrRepr(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (v === null) return 'None';
  if (v instanceof PyFloat) return pyFloatRepr(v.value);
  if (v instanceof PyTimestamp) return v.text;
  if (Array.isArray(v)) return '[' + v.map(pyRepr).join(', ') + ']';
  return '{' + v.entries.map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ') + '}';
}
