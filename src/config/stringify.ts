/**
 * DC/OS 1.11 turned every config.yaml value into a string before judging it: bool → 'true'/'false',
 * int → decimal, list/dict → Python `json.dumps` text (", " and ": " separators, non-ASCII escaped),
 * str as is. Where the original crashed (null, float, dates, …) we return a clear message for the key instead.
 */
import { PyDict, PyFloat, pyFloatRepr, PyTimestamp, type PyValue } from '../pycompat/py.js';
import { PyJsonTypeError, pyJsonDumps } from '../pycompat/json.js';

export type Stringified = { ok: true; value: string } | { ok: false; message: string };

export function stringifyValue(value: PyValue): Stringified {
  if (typeof value === 'string') return { ok: true, value };
  if (typeof value === 'boolean') return { ok: true, value: value ? 'true' : 'false' };
  if (typeof value === 'bigint') return { ok: true, value: value.toString() };
  if (value === null) {
    return { ok: false, message: 'Has no value (YAML null); give it a value, or remove the line to use the default' };
  }
  if (value instanceof PyFloat) {
    const text = pyFloatRepr(value.value);
    return {
      ok: false,
      message: `Must not be a decimal number (YAML read ${text} as a float); write a whole number, or quote the value if it is text`,
    };
  }
  if (value instanceof PyTimestamp) {
    return { ok: false, message: `YAML reads ${value.text} as a date; quote it if it is meant as text` };
  }
  if (Array.isArray(value) || value instanceof PyDict) {
    try {
      return { ok: true, value: pyJsonDumps(value) };
    } catch (err) {
      if (!(err instanceof PyJsonTypeError)) throw err;
      return {
        ok: false,
        message: `Cannot be turned into JSON: ${err.message.replace('datetime', 'date (quote it)')}`,
      };
    }
  }
  return { ok: false, message: 'Unsupported value type' };
}

/** Convenience for callers holding plain JS values (tests, other modules): the same rules. */
export function stringifyPlain(value: unknown): string {
  const r = stringifyValue(fromPlain(value));
  if (!r.ok) throw new TypeError(r.message);
  return r.value;
}

export function fromPlain(value: unknown): PyValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'boolean' || typeof value === 'bigint') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : new PyFloat(value);
  if (value instanceof PyFloat || value instanceof PyTimestamp || value instanceof PyDict) return value;
  if (value instanceof Date) return new PyTimestamp(value.toISOString());
  if (Array.isArray(value)) return value.map(fromPlain);
  const d = new PyDict();
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) d.set(k, fromPlain(v));
  return d;
}
