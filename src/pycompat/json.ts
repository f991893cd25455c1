/**
 * Python's `json` module, as DC/OS 1.11 used it, in one place: `json.dumps` (compact, indented, and gen's sorted
 * "pretty" form; ensure_ascii) and `json.loads` with CPython's error messages (e.g. `Expecting value: line 1
 * column 1 (char 0)`). The order-preserving tree the renderers re-print (json-tree.ts) uses the same string and
 * number printers.
 *
 * Floats: JSON text spells the non-finite ones `NaN`, `Infinity` and `-Infinity` (what json.dumps writes and
 * json.loads accepts); repr() spells them `nan`/`inf` (py.ts's pyFloatRepr, used in messages and YAML).
 */
import { PyDict, PyFloat, pyFloatRepr, pyStrCompare, PyTimestamp, pyTypeName, type PyValue } from './py.js';

/** A float as json.dumps writes it: repr() digits, but `NaN`/`Infinity`/`-Infinity` for the non-finite ones. */
export function pyJsonFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  return pyFloatRepr(x);
}

export class PyJsonTypeError extends Error {}

/** Printable ASCII but `"` and `\\`: the characters json.dumps writes as they are. */
const NO_ESCAPE = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** Python's `json.dumps(str)` with ensure_ascii: control characters, DEL and everything above it escaped. */
export function pyJsonString(s: string): string {
  // Most strings (addresses, names) need no escape: written as they are, without building them a character at a time.
  if (NO_ESCAPE.test(s)) return `"${s}"`;
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
  if (typeof v === 'string') return pyJsonString(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v === null) return 'null';
  if (v instanceof PyFloat) return pyJsonFloat(v.value);
  if (v instanceof PyTimestamp) throw new PyJsonTypeError(`Object of type datetime is not JSON serializable`);
  return undefined;
}

function jsonKey(k: PyValue): string {
  if (typeof k === 'string') return pyJsonString(k);
  if (typeof k === 'bigint' || typeof k === 'boolean' || k === null || k instanceof PyFloat) {
    const s = jsonScalar(k)!;
    // A float key is written with the float printer (`{NaN: 1}` → `{"NaN": 1}`), then quoted as a string.
    return pyJsonString(k instanceof PyFloat ? pyJsonFloat(k.value) : s);
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
