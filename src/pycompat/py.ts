/**
 * A small model of the Python values DC/OS 1.11 worked with, and their repr()/str() as the original's messages
 * print them. Python's json module over these values is json.ts.
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
