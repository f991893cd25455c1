/**
 * A list or a mapping where a single value is expected (`ssh_user: [centos, core]`, `bootstrap_url: [http://x]`).
 * DC/OS 1.11 turned it into JSON text and used that text as the value, so the run connected as
 * `["centos", "core"]`. It is reported (a warning, an error with --strict); the 1.11 value is kept so a config
 * 1.11 accepted is still accepted by default. Which keys take one value comes from schema/config.schema.json.
 */
import { PyDict, type PyValue } from '../pycompat/py.js';
import { pyJsonDumps } from '../pycompat/json.js';
import { loadSchema } from './schema.js';

/** Keys whose values must not be echoed. */
const SECRET = /password|secret|credential|license|key_contents/;

let scalarKeys: Set<string> | undefined;

function typesOf(spec: Record<string, unknown>): string[] {
  const out: string[] = [];
  const t = spec.type;
  if (typeof t === 'string') out.push(t);
  else if (Array.isArray(t)) out.push(...t.filter((x): x is string => typeof x === 'string'));
  for (const alt of ['oneOf', 'anyOf'] as const) {
    const list = spec[alt];
    if (Array.isArray(list))
      for (const s of list) if (s && typeof s === 'object') out.push(...typesOf(s as Record<string, unknown>));
  }
  return out;
}

/** Keys whose schema allows only single values (text, numbers, booleans). */
function scalarOnlyKeys(): Set<string> {
  if (!scalarKeys) {
    scalarKeys = new Set();
    for (const [key, spec] of Object.entries(loadSchema().properties)) {
      const types = typesOf(spec);
      if (types.length > 0 && !types.includes('array') && !types.includes('object')) scalarKeys.add(key);
    }
  }
  return scalarKeys;
}

/** One issue per key that holds a list or a mapping where a single value belongs. */
export function typeIssues(
  keys: ReadonlyArray<{ key: string; value: PyValue }>,
): Array<{ key: string; message: string }> {
  const scalar = scalarOnlyKeys();
  const out: Array<{ key: string; message: string }> = [];
  for (const { key, value } of keys) {
    const list = Array.isArray(value);
    if (!list && !(value instanceof PyDict)) continue;
    if (!scalar.has(key)) continue;
    let text: string;
    if (SECRET.test(key)) text = list ? 'of the list' : 'of the mapping';
    else
      try {
        text = pyJsonDumps(value);
      } catch {
        text = list ? 'a list' : 'a mapping';
      }
    if (text.length > 80) text = `${text.slice(0, 77)}...`;
    const example =
      list && value.length > 0 && typeof value[0] === 'string' ? ` (for example \`${key}: ${value[0]}\`)` : '';
    out.push({
      key,
      message:
        `Expects a single value, not ${list ? 'a list' : 'a mapping'}; DC/OS 1.11 used the JSON text ${text} as the value. ` +
        `Write one value${example}`,
    });
  }
  return out;
}
