/**
 * schema/config.schema.json: the shape of config.yaml (types, enums, patterns, descriptions, defaults), the file
 * editors read through `# yaml-language-server: $schema=`. The code uses it for `--strict`: there every key in
 * the file is held to its schema, including keys DC/OS 1.11 would not have judged (lazy validation) — the
 * 1.11 rules and messages stay in the rule functions. Ajv is loaded and compiled only when asked for, so
 * plain `--validate-config` pays nothing for it.
 */
import { packageFile } from '../package-files.js';
import type { Ajv as AjvClass } from 'ajv';
import { readFileSync } from 'node:fs';
import { PyDict, PyFloat, PyTimestamp, type PyValue } from '../pycompat/py.js';

export interface ConfigSchema {
  properties: Record<string, { description?: string; default?: unknown; readOnly?: boolean; [k: string]: unknown }>;
  required: string[];
  [k: string]: unknown;
}

let schemaCache: ConfigSchema | undefined;

/** The schema file shipped with the package (schema/config.schema.json). */
export function loadSchema(): ConfigSchema {
  schemaCache ??= JSON.parse(readFileSync(packageFile('schema', 'config.schema.json'), 'utf8')) as ConfigSchema;
  return schemaCache;
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
