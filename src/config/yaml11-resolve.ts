/**
 * PyYAML's YAML 1.1 implicit types for a plain scalar (yaml11.ts parses; this types what it read): unquoted
 * `yes`/`off` are booleans, `1e5` stays a string (YAML 1.1 floats need a dot), `017` is octal, `1:20` is
 * sexagesimal, `~` is null, a date is a timestamp.
 */
import { PyFloat, PyTimestamp, type PyValue } from '../pycompat/py.js';

/** A value config.yaml's shape does not allow (reported on the key, never as a traceback). */
export class YamlShapeError extends Error {}

const BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const FLOAT =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const INT =
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const NULL = /^(?:~|null|Null|NULL|)$/;
const TIMESTAMP =
  /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/;

/** PyYAML's implicit resolution of a plain scalar (first char decides which resolvers are tried, in order). */
export function resolvePlain(text: string): PyValue {
  const first = text[0] ?? '';
  if ('yYnNtTfFoO'.includes(first) && first !== '' && BOOL.test(text)) return /^(?:yes|true|on)$/i.test(text);
  if ('-+0123456789.'.includes(first) && first !== '' && FLOAT.test(text)) return new PyFloat(constructFloat(text));
  if ('-+0123456789'.includes(first) && first !== '' && INT.test(text)) return constructInt(text);
  if (('~nN'.includes(first) || text === '') && NULL.test(text)) return null;
  if ('0123456789'.includes(first) && first !== '' && TIMESTAMP.test(text)) return new PyTimestamp(text);
  return text;
}

function constructInt(text: string): bigint {
  try {
    return constructIntDigits(text);
  } catch (err) {
    // `0x_`, `0b_` and `+0x` match YAML 1.1's int pattern but have no digits once `_` is dropped; PyYAML raises a
    // ValueError there (a traceback in DC/OS 1.11). Report it on the value instead.
    if (err instanceof SyntaxError || err instanceof RangeError) {
      throw new YamlShapeError(`'${text}' reads as a YAML 1.1 integer but has no digits; quote it if it is text`);
    }
    throw err;
  }
}

function constructIntDigits(text: string): bigint {
  let v = text.replace(/_/g, '');
  let sign = 1n;
  if (v[0] === '-') sign = -1n;
  if (v[0] === '-' || v[0] === '+') v = v.slice(1);
  if (v === '0') return 0n;
  if (v.startsWith('0b')) return sign * BigInt(v);
  if (v.startsWith('0x')) return sign * BigInt(v);
  if (v[0] === '0') return sign * BigInt('0o' + v.slice(1));
  if (v.includes(':')) {
    let total = 0n;
    for (const part of v.split(':')) total = total * 60n + BigInt(part);
    return sign * total;
  }
  return sign * BigInt(v);
}

function constructFloat(text: string): number {
  let v = text.replace(/_/g, '').toLowerCase();
  let sign = 1;
  if (v[0] === '-') sign = -1;
  if (v[0] === '-' || v[0] === '+') v = v.slice(1);
  if (v === '.inf') return sign * Infinity;
  if (v === '.nan') return NaN;
  if (v.includes(':')) {
    let total = 0;
    for (const part of v.split(':')) total = total * 60 + Number(part);
    return sign * total;
  }
  return sign * Number(v.endsWith('.') ? v.slice(0, -1) : v);
}

/** A scalar with an explicit tag (`!!int 017`): checked against the tag's pattern and constructed as PyYAML does. */
export function constructTagged(tag: string, text: string): PyValue {
  const short = tag.replace(/^tag:yaml\.org,2002:/, '!!');
  switch (short) {
    case '!!str':
      return text;
    case '!!null':
      return null;
    case '!!bool':
      if (!BOOL.test(text)) throw new YamlShapeError(`'${text}' is not a boolean (tagged !!bool)`);
      return /^(?:yes|true|on)$/i.test(text);
    case '!!int':
      if (!INT.test(text)) throw new YamlShapeError(`'${text}' is not an integer (tagged !!int)`);
      return constructInt(text);
    case '!!float':
      if (!FLOAT.test(text) && !INT.test(text)) throw new YamlShapeError(`'${text}' is not a float (tagged !!float)`);
      return new PyFloat(constructFloat(text));
    case '!!timestamp':
      return new PyTimestamp(text);
    default:
      throw new YamlShapeError(`could not determine a constructor for the tag '${tag}'`);
  }
}
