/**
 * schema/config.schema.json: the shape of config.yaml (types, enums, patterns, descriptions, defaults), the file
 * editors read through `# yaml-language-server: $schema=`. It is the one place a key's literal default is written
 * (`schemaDefaults`, read by defaults-dcos.ts) and where a key the config package templates print is marked
 * (`"x-template": true`, read by target-dcos.ts), and a key written into a line-based settings file on the nodes
 * (`"x-single-line": true`, read by rules-node.ts). The code also uses it for `--strict`: there every key in
 * the file is held to its schema, including keys DC/OS 1.11 would not have judged (lazy validation) — the
 * 1.11 rules and messages stay in the rule functions. Ajv is loaded and compiled only when asked for, so
 * plain `--validate-config` pays only for reading the JSON (about a millisecond).
 */
import { packageFile } from '../package-files.js';
import type { Ajv as AjvClass } from 'ajv';
import { readFileSync } from 'node:fs';
import { PyDict, PyFloat, PyTimestamp, pyFromJson, type Json, type PyValue } from '../pycompat/py.js';
import { pyJsonDumps } from '../pycompat/json.js';

export interface ConfigSchema {
  properties: Record<
    string,
    {
      description?: string;
      default?: unknown;
      readOnly?: boolean;
      /** The config package templates print this key outside any `{% switch %}` (see target-dcos.ts). */
      'x-template'?: boolean;
      /** A renderer writes this key into a line-based settings file on the nodes (see rules-node.ts). */
      'x-single-line'?: boolean;
      [k: string]: unknown;
    }
  >;
  required: string[];
  [k: string]: unknown;
}

let schemaCache: ConfigSchema | undefined;

/** The schema file shipped with the package (schema/config.schema.json). */
export function loadSchema(): ConfigSchema {
  schemaCache ??= JSON.parse(readFileSync(packageFile('schema', 'config.schema.json'), 'utf8')) as ConfigSchema;
  return schemaCache;
}

/**
 * The keys marked `"x-template": true`: the schema's required keys first (in its order), then the others in
 * the schema's order. The order is the order in which validation resolves them, and so the order of the
 * messages no line locates (`Must set cluster_name` before `Must set bootstrap_url`).
 */
export function templateKeys(schema: ConfigSchema = loadSchema()): string[] {
  const marked = markedKeys('x-template', schema);
  const required = schema.required.filter((k) => marked.includes(k));
  return [...required, ...marked.filter((k) => !required.includes(k))];
}

/** The keys that carry `mark: true`, in the schema's order. */
export function markedKeys(mark: 'x-template' | 'x-single-line', schema: ConfigSchema = loadSchema()): string[] {
  return Object.keys(schema.properties).filter((k) => schema.properties[k]![mark] === true);
}

/** A schema default as the string DC/OS 1.11 used: `true` → 'true', 4 → '4', lists and dicts as Python's JSON. */
export function defaultText(key: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number' && Number.isInteger(value)) return String(value);
  // json.dumps(json.loads(text)) of the value's JSON text, without writing and scanning that text again: JSON.parse
  // already made the value, and pyFromJson gives what json.loads would (test/config/schema-defaults.test.ts checks
  // every default of the schema both ways).
  if (typeof value === 'object' && value !== null) return pyJsonDumps(pyFromJson(value as Json));
  throw new Error(
    `schema/config.schema.json: the default of ${key} is neither text, a bool, an int, a list nor a dict`,
  );
}

/** The `default` of every key that has one, as DC/OS 1.11 strings, leaving out `except` (keys other code owns). */
export function schemaDefaults(
  except: ReadonlySet<string>,
  schema: ConfigSchema = loadSchema(),
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, spec] of Object.entries(schema.properties))
    if ('default' in spec && !except.has(key)) out[key] = defaultText(key, spec.default);
  return out;
}

type Validate = ((data: unknown) => boolean) & {
  errors?: Array<{ instancePath: string; keyword: string; message?: string }> | null;
};
let validator: Validate | undefined;

async function compiled(): Promise<Validate> {
  if (!validator) {
    // `default` is ajv's module.exports (the class) both under Node's loader and in the esbuild bundle.
    const Ajv = ((await import('ajv')) as unknown as { default: typeof AjvClass }).default;
    const ajv = new Ajv({ allErrors: true, strict: false });
    validator = ajv.compile(loadSchema()) as Validate;
  }
  return validator;
}

/** A YAML value as plain JSON for the schema (ints as numbers, dates as text). */
export function toJson(v: PyValue): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof PyFloat) return v.value;
  if (v instanceof PyTimestamp) return v.text;
  if (Array.isArray(v)) return v.map(toJson);
  if (v instanceof PyDict) return Object.fromEntries(v.entries.map(([k, x]) => [String(k), toJson(x)]));
  return v;
}

/** Schema problems per top-level key (unknown keys are left to the unknown-key warning). */
export async function schemaProblems(doc: Record<string, unknown>): Promise<Map<string, string>> {
  const validate = await compiled();
  const out = new Map<string, string[]>();
  if (!validate(doc)) {
    for (const e of validate.errors ?? []) {
      if (e.keyword === 'additionalProperties' || e.keyword === 'required' || e.instancePath === '') continue;
      const key = decodeURIComponent(e.instancePath.split('/')[1] ?? '')
        .replace(/~1/g, '/')
        .replace(/~0/g, '~');
      const path = e.instancePath.split('/').slice(2).join('/');
      const text =
        e.keyword === 'not' && path === ''
          ? 'is calculated by DC/OS; remove it'
          : `${path ? `${path} ` : ''}${e.message ?? e.keyword}`;
      const list = out.get(key) ?? [];
      if (!list.includes(text)) list.push(text);
      out.set(key, list);
    }
  }
  return new Map(
    [...out].map(([k, msgs]) => [k, `Does not match schema/config.schema.json (--strict): ${msgs.join('; ')}`]),
  );
}
