/**
 * Offline checks of an ARM template: the envelope schema (test/cloud/arm-template.schema.json, with ajv); every
 * resource type and apiVersion against the list kept in src/cloud/azure/api-versions.ts; every parameters('x') and
 * variables('x') names a declared one; every parameter is used; every resourceId() in dependsOn names a resource of
 * this template (same type and name expression); parameter defaults satisfy their own constraints. Resource
 * bodies (property names and types) are NOT checked: no offline, self-contained schema of them is available.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Ajv as AjvClass } from 'ajv';
import { API_VERSIONS } from '../../src/cloud/azure/api-versions.js';

type Obj = Record<string, unknown>;

const SCHEMA = path.join(path.dirname(fileURLToPath(import.meta.url)), 'arm-template.schema.json');

export async function checkArm(template: object): Promise<string[]> {
  const t = template as Obj;
  const problems: string[] = [];
  const Ajv = ((await import('ajv')) as unknown as { default: typeof AjvClass }).default;
  const validate = new Ajv({ allErrors: true, strict: false }).compile(
    JSON.parse(fs.readFileSync(SCHEMA, 'utf8')) as object,
  );
  if (!validate(t))
    for (const e of validate.errors ?? []) problems.push(`schema: ${e.instancePath || '/'} ${e.message ?? ''}`);

  const params = (t.parameters ?? {}) as Record<string, Obj>;
  const variables = (t.variables ?? {}) as Obj;
  const resources = (Array.isArray(t.resources) ? t.resources : []) as Obj[];
  const text = JSON.stringify({ variables, resources, outputs: t.outputs ?? {} });
  const paramText = JSON.stringify(params);
  for (const m of `${text}${paramText}`.matchAll(/parameters\('([^']+)'\)/g))
    if (!(m[1]! in params)) problems.push(`parameters('${m[1]}') is not declared`);
  for (const m of `${text}${paramText}`.matchAll(/variables\('([^']+)'\)/g))
    if (!(m[1]! in variables)) problems.push(`variables('${m[1]}') is not declared`);
  for (const name of Object.keys(params))
    if (!text.includes(`parameters('${name}')`)) problems.push(`parameter '${name}' is never used`);

  const declared = new Set(resources.map((r) => `${String(r.type)}|${String(r.name)}`));
  for (const [i, r] of resources.entries()) {
    const type = String(r.type);
    const want = (API_VERSIONS as Record<string, string>)[type];
    if (want === undefined) problems.push(`resources[${i}]: type ${type} is not in the api-versions list`);
    else if (r.apiVersion !== want)
      problems.push(`resources[${i}]: ${type} apiVersion ${String(r.apiVersion)}, the list has ${want}`);
    for (const d of (Array.isArray(r.dependsOn) ? r.dependsOn : []) as string[]) {
      const m = /^\[resourceId\('([^']+)', (.+)\)\]$/.exec(d);
      if (!m) problems.push(`resources[${i}].dependsOn: '${d}' is not a resourceId() of this template`);
      else if (!declared.has(`${m[1]}|[${m[2]}]`))
        problems.push(`resources[${i}].dependsOn: no resource ${m[1]} named ${m[2]}`);
    }
  }
  for (const [name, p] of Object.entries(params)) {
    const d = p.defaultValue;
    if (d === undefined || (typeof d === 'string' && d.startsWith('['))) continue;
    if (Array.isArray(p.allowedValues) && !p.allowedValues.includes(d))
      problems.push(`parameter '${name}': default ${JSON.stringify(d)} is not allowed`);
    if (
      p.type === 'int' &&
      (typeof d !== 'number' ||
        (typeof p.minValue === 'number' && d < p.minValue) ||
        (typeof p.maxValue === 'number' && d > p.maxValue))
    ) {
      problems.push(`parameter '${name}': default ${JSON.stringify(d)} outside its int range`);
    }
  }
  return problems;
}
