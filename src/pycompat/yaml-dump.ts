/**
 * PyYAML's `yaml.dump`, for the DC/OS 1.11 values whose YAML text ended up in arguments and node files:
 * - `yaml.dump(str)`: `ip_detect_contents`, `check_config_contents`, `rexray_config_contents`, the
 *   fault-domain script (the templates paste these verbatim after `content: `);
 * - `yaml.dump(dict, default_flow_style=False)`: rexray.conf and the inner text of `rexray_config_contents`;
 * - `yaml.dump(dict_of_str, default_style='|')`: user.config.yaml.
 * The bytes must match, so scalar style choice (plain / single / double quoted / literal), escapes, folding at
 * 80 columns and sorted keys follow PyYAML's emitter with its defaults (width 80, indent 2, allow_unicode off).
 * Only what those calls need is here: block collections, flow `[]`/`{}` for empty ones, no flow collections.
 */
import { PyDict, type PyValue } from './py.js';
import { Emitter, type Requested } from './yaml-emitter.js';

const stringCache = new Map<string, string>();

/**
 * `yaml.dump(value)` with PyYAML's defaults; collections are written in block style, as with
 * `default_flow_style=False` (the only way DC/OS dumped a collection).
 */
export function pyYamlDump(value: PyValue): string {
  if (typeof value !== 'string') return dump(value, undefined);
  const hit = stringCache.get(value);
  if (hit !== undefined) return hit;
  const out = dump(value, undefined);
  if (stringCache.size >= 32) stringCache.delete(stringCache.keys().next().value!);
  stringCache.set(value, out);
  return out;
}

/** `yaml.dump(text)`: one string as a whole document. */
export function dumpString(text: string): string {
  return pyYamlDump(text);
}

/**
 * `yaml.dump(mapping, default_style='|', default_flow_style=False)` of string values, keys sorted: every key
 * double-quoted (a simple key cannot be a block scalar), each value a literal block where it can be one,
 * else double-quoted.
 */
export function dumpLiteralMapping(map: Readonly<Record<string, string>>): string {
  const d = new PyDict();
  for (const [k, v] of Object.entries(map)) d.set(k, v);
  return dump(d, '|');
}

function dump(value: PyValue, requested: Requested): string {
  const e = new Emitter(requested);
  e.node(value, { root: true });
  // Document end: an implicit end, then `...` if a plain root scalar or a `|+` block left the stream open.
  e.writeIndent();
  if (e.openEnded) {
    e.writeIndicator('...', true);
    e.writeIndent();
  }
  return e.out;
}
