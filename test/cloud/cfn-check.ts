/**
 * Offline checker of CloudFormation templates against the AWS resource specification of @aws-cdk/aws-service-spec
 * (a dev dependency: its db.json.gz is the CloudFormation registry schema of every resource type, read here as
 * plain JSON). Checks: every resource type and property exists, required properties are present, values have the
 * property's type (recursively through property types, lists, maps and tags); every Ref, Fn::GetAtt (with the
 * attribute), Fn::Sub variable, DependsOn, Condition and Fn::If names something that exists; every parameter is
 * used; parameter defaults satisfy their own constraints; nested stacks pass only parameters the child declares,
 * every child parameter without a default, and read only outputs the child has.
 */
// The templates are untyped JSON walked generically: String() of a value that is not a string is intended here (it
// yields text that matches no name, so the check reports it instead of crashing).
/* eslint-disable @typescript-eslint/no-base-to-string */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import zlib from 'node:zlib';

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

interface SpecType {
  type: string;
  element?: SpecType;
  types?: SpecType[];
  reference?: { $ref: string };
}
interface SpecProp {
  type: SpecType;
  required?: boolean;
}
interface SpecResource {
  cloudFormationType: string;
  properties: Record<string, SpecProp>;
  attributes: Record<string, unknown>;
}
interface SpecTypeDef {
  $id: string;
  name: string;
  properties: Record<string, SpecProp>;
}

export interface Spec {
  resources: Map<string, SpecResource>;
  types: Map<string, SpecTypeDef>;
  version: string;
}

let loaded: Spec | undefined;

export function loadSpec(): Spec {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const pkgFile = require.resolve('@aws-cdk/aws-service-spec/package.json');
  const version = (JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as { version: string }).version;
  const db = JSON.parse(
    zlib.gunzipSync(fs.readFileSync(pkgFile.replace(/package\.json$/, 'db.json.gz'))).toString('utf8'),
  ) as {
    schema: { resource: { entities: SpecResource[] }; typeDefinition: { entities: SpecTypeDef[] } };
  };
  loaded = {
    resources: new Map(db.schema.resource.entities.map((r) => [r.cloudFormationType, r])),
    types: new Map(db.schema.typeDefinition.entities.map((t) => [t.$id, t])),
    version,
  };
  return loaded;
}

const PSEUDO = new Set([
  'AWS::AccountId',
  'AWS::NoValue',
  'AWS::NotificationARNs',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
]);
const PARAM_TYPES =
  /^(String|Number|List<Number>|CommaDelimitedList|AWS::EC2::[A-Za-z:]+|List<AWS::EC2::[A-Za-z:]+>|AWS::SSM::Parameter::(Name|Value<.+>))$/;
const TOP_KEYS = new Set([
  'AWSTemplateFormatVersion',
  'Description',
  'Metadata',
  'Parameters',
  'Mappings',
  'Conditions',
  'Resources',
  'Outputs',
]);
const LIST_ATTRIBUTES = new Set(['SecurityGroups']);

const isObj = (v: Json | undefined): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const intrinsicName = (v: Json): string | undefined => {
  if (!isObj(v)) return undefined;
  const keys = Object.keys(v);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::')) ? keys[0] : undefined;
};

/** Check `template` (named `name` in messages). `children` maps a nested stack's TemplateURL to its template. */
export function checkTemplate(name: string, input: object, childInput: Record<string, object> = {}): string[] {
  const template = input as Obj;
  const children = childInput as Record<string, Obj>;
  const spec = loadSpec();
  const problems: string[] = [];
  const bad = (where: string, msg: string): void => void problems.push(`${name}: ${where}: ${msg}`);
  for (const k of Object.keys(template)) if (!TOP_KEYS.has(k)) bad(k, 'not a template section');
  if (template.AWSTemplateFormatVersion !== '2010-09-09') bad('AWSTemplateFormatVersion', 'must be 2010-09-09');
  const params = (isObj(template.Parameters) ? template.Parameters : {}) as Record<string, Obj>;
  const resources = (isObj(template.Resources) ? template.Resources : {}) as Record<string, Obj>;
  const conditions = isObj(template.Conditions) ? template.Conditions : {};
  const outputs = (isObj(template.Outputs) ? template.Outputs : {}) as Record<string, Obj>;
  const used = new Set<string>();
  const isListParam = (p: string): boolean => /^(List<|CommaDelimitedList)/.test(String(params[p]?.Type ?? ''));

  /** Does this intrinsic produce a list? */
  const yieldsList = (v: Obj): boolean => {
    const fn = intrinsicName(v)!;
    if (fn === 'Ref') return isListParam(String(v.Ref));
    if (fn === 'Fn::GetAZs' || fn === 'Fn::Split' || fn === 'Fn::Cidr') return true;
    if (fn === 'Fn::GetAtt') return LIST_ATTRIBUTES.has(String((v['Fn::GetAtt'] as Json[])[1]));
    return false;
  };

  const checkRefs = (where: string, v: Json): void => {
    if (Array.isArray(v)) return v.forEach((x, i) => checkRefs(`${where}[${i}]`, x));
    if (!isObj(v)) return;
    const fn = intrinsicName(v);
    if (fn === 'Ref') {
      const target = String(v.Ref);
      used.add(target);
      if (!(target in params) && !(target in resources) && !PSEUDO.has(target))
        bad(where, `Ref to unknown '${target}'`);
      return;
    }
    if (fn === 'Fn::GetAtt') {
      const [res, attr] = v['Fn::GetAtt'] as [string, string];
      checkGetAtt(where, res, attr);
      return;
    }
    if (fn === 'Fn::Sub') {
      const text = Array.isArray(v['Fn::Sub']) ? String(v['Fn::Sub'][0]) : String(v['Fn::Sub']);
      const vars = Array.isArray(v['Fn::Sub']) && isObj(v['Fn::Sub'][1]) ? v['Fn::Sub'][1] : {};
      for (const m of text.matchAll(/\$\{([^!}][^}]*)\}/g)) {
        const ref = m[1]!;
        if (ref in vars) continue;
        const dot = ref.indexOf('.');
        if (dot > 0) checkGetAtt(where, ref.slice(0, dot), ref.slice(dot + 1));
        else {
          used.add(ref);
          if (!(ref in params) && !(ref in resources) && !PSEUDO.has(ref))
            bad(where, `Fn::Sub variable \${${ref}} names nothing`);
        }
      }
      Object.values(vars).forEach((x) => checkRefs(where, x));
      return;
    }
    if (fn === 'Fn::If') {
      const [cond, a, b] = v['Fn::If'] as [string, Json, Json];
      if (!(cond in conditions)) bad(where, `Fn::If names unknown condition '${cond}'`);
      checkRefs(where, a);
      checkRefs(where, b);
      return;
    }
    for (const [k, x] of Object.entries(v)) checkRefs(`${where}.${k}`, x);
  };

  const checkGetAtt = (where: string, res: string, attr: string): void => {
    const r = resources[res];
    if (!r) return bad(where, `Fn::GetAtt of unknown resource '${res}'`);
    const type = String(r.Type);
    if (type === 'AWS::CloudFormation::Stack' && attr.startsWith('Outputs.')) {
      const url = String((r.Properties as Obj | undefined)?.TemplateURL ?? '');
      const child = children[url];
      if (!child) return bad(where, `nested stack ${res} (${url}) was not given to the checker`);
      const out = attr.slice('Outputs.'.length);
      if (!isObj(child.Outputs) || !(out in child.Outputs)) bad(where, `${url} has no output '${out}'`);
      return;
    }
    const s = spec.resources.get(type);
    if (s && !(attr in s.attributes)) bad(where, `${type} has no attribute '${attr}' for Fn::GetAtt`);
  };

  const checkValue = (where: string, t: SpecType, v: Json): void => {
    const fn = intrinsicName(v);
    if (fn === 'Fn::If') {
      const [, a, b] = (v as Obj)['Fn::If'] as [string, Json, Json];
      for (const branch of [a, b]) if (!(isObj(branch) && branch.Ref === 'AWS::NoValue')) checkValue(where, t, branch);
      return;
    }
    if (fn !== undefined) {
      const list = yieldsList(v as Obj);
      if (t.type === 'array' && !list) bad(where, `expects a list, ${fn} gives a single value`);
      if (t.type !== 'array' && t.type !== 'json' && t.type !== 'union' && list)
        bad(where, `expects a ${t.type}, ${fn} gives a list`);
      return;
    }
    switch (t.type) {
      case 'string':
        if (typeof v !== 'string') bad(where, `expects a string, got ${JSON.stringify(v)}`);
        return;
      case 'date-time':
        if (typeof v !== 'string') bad(where, `expects a date-time string`);
        return;
      case 'integer':
        if (!Number.isInteger(v)) bad(where, `expects an integer, got ${JSON.stringify(v)}`);
        return;
      case 'number':
        if (typeof v !== 'number') bad(where, `expects a number, got ${JSON.stringify(v)}`);
        return;
      case 'boolean':
        if (typeof v !== 'boolean') bad(where, `expects a boolean, got ${JSON.stringify(v)}`);
        return;
      case 'json':
        if (!isObj(v) && !Array.isArray(v)) bad(where, 'expects a JSON object');
        return;
      case 'array':
        if (!Array.isArray(v)) return bad(where, `expects a list, got ${JSON.stringify(v)}`);
        v.forEach((x, i) => checkValue(`${where}[${i}]`, t.element!, x));
        return;
      case 'map':
        if (!isObj(v)) return bad(where, 'expects a map');
        for (const [k, x] of Object.entries(v)) checkValue(`${where}.${k}`, t.element!, x);
        return;
      case 'tag':
        if (!isObj(v) || typeof v.Key !== 'string' || v.Value === undefined) bad(where, 'expects a tag {Key, Value}');
        return;
      case 'union': {
        const before = problems.length;
        for (const alt of t.types!) {
          const mark = problems.length;
          checkValue(where, alt, v);
          if (problems.length === mark) {
            problems.length = before;
            return;
          }
          problems.length = mark;
        }
        bad(where, `matches none of ${t.types!.map((x) => x.type).join(', ')}`);
        return;
      }
      case 'ref': {
        const def = spec.types.get(t.reference!.$ref);
        if (!def) return bad(where, `spec type ${t.reference!.$ref} missing`);
        if (!isObj(v)) return bad(where, `expects a ${def.name} object, got ${JSON.stringify(v)}`);
        checkProps(where, def.properties, v, def.name);
        return;
      }
      default:
        bad(where, `spec type '${t.type}' is not understood by this checker`);
    }
  };

  const checkProps = (where: string, props: Record<string, SpecProp>, v: Obj, typeName: string): void => {
    for (const [k, x] of Object.entries(v)) {
      const p = props[k];
      if (!p) bad(`${where}.${k}`, `${typeName} has no property '${k}'`);
      else checkValue(`${where}.${k}`, p.type, x);
    }
    for (const [k, p] of Object.entries(props)) if (p.required && !(k in v)) bad(where, `${typeName} requires '${k}'`);
  };

  for (const [id, r] of Object.entries(resources)) {
    const where = `Resources.${id}`;
    const type = String(r.Type);
    const s = spec.resources.get(type);
    if (!s) {
      bad(where, `unknown resource type '${type}'`);
      continue;
    }
    const props = isObj(r.Properties) ? r.Properties : {};
    checkProps(`${where}.Properties`, s.properties, props, type);
    checkRefs(`${where}.Properties`, props);
    const deps = r.DependsOn === undefined ? [] : Array.isArray(r.DependsOn) ? r.DependsOn : [r.DependsOn];
    for (const d of deps)
      if (typeof d !== 'string' || !(d in resources))
        bad(`${where}.DependsOn`, `names unknown resource '${String(d)}'`);
    if (r.Condition !== undefined && !(String(r.Condition) in conditions))
      bad(`${where}.Condition`, `unknown condition '${String(r.Condition)}'`);
    if (type === 'AWS::CloudFormation::Stack') checkNested(where, props);
  }
  for (const [id, c] of Object.entries(conditions)) checkRefs(`Conditions.${id}`, c);
  for (const [id, o] of Object.entries(outputs)) {
    checkRefs(`Outputs.${id}.Value`, o.Value ?? null);
    if (o.Value === undefined) bad(`Outputs.${id}`, 'has no Value');
  }
  for (const [id, p] of Object.entries(params)) {
    const where = `Parameters.${id}`;
    if (!PARAM_TYPES.test(String(p.Type))) bad(where, `unknown parameter type '${String(p.Type)}'`);
    if (!used.has(id)) bad(where, 'is never used');
    checkDefault(where, p, bad);
  }

  function checkNested(where: string, props: Obj): void {
    const url = String(props.TemplateURL ?? '');
    const child = children[url];
    if (!child) return bad(where, `nested template ${url} was not given to the checker`);
    const childParams = (isObj(child.Parameters) ? child.Parameters : {}) as Record<string, Obj>;
    const given = isObj(props.Parameters) ? props.Parameters : {};
    for (const k of Object.keys(given))
      if (!(k in childParams)) bad(`${where}.Parameters.${k}`, `${url} has no parameter '${k}'`);
    for (const [k, p] of Object.entries(childParams))
      if (p.Default === undefined && !(k in given)) bad(`${where}.Parameters`, `${url} needs '${k}'`);
  }
  return problems;
}

function checkDefault(where: string, p: Obj, bad: (w: string, m: string) => void): void {
  if (p.Default === undefined) return;
  const d = p.Default;
  if (Array.isArray(p.AllowedValues) && !p.AllowedValues.includes(d))
    bad(where, `Default ${JSON.stringify(d)} is not among AllowedValues`);
  if (typeof p.AllowedPattern === 'string' && !new RegExp(p.AllowedPattern).test(String(d)))
    bad(where, `Default ${JSON.stringify(d)} does not match AllowedPattern`);
  if (p.Type === 'Number') {
    const n = Number(d);
    if (!Number.isFinite(n)) bad(where, 'Default is not a number');
    if (typeof p.MinValue === 'number' && n < p.MinValue) bad(where, 'Default below MinValue');
    if (typeof p.MaxValue === 'number' && n > p.MaxValue) bad(where, 'Default above MaxValue');
  }
}
