/** Small builders for CloudFormation JSON: intrinsic functions and the shapes every template shares. */

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface Resource {
  Type: string;
  Properties?: Record<string, Json>;
  DependsOn?: string | string[];
  Condition?: string;
}

export interface Parameter {
  Type: string;
  Description: string;
  Default?: string | number;
  AllowedValues?: Array<string | number>;
  AllowedPattern?: string;
  ConstraintDescription?: string;
  MinValue?: number;
  MaxValue?: number;
  NoEcho?: boolean;
}

export interface Output {
  Description: string;
  Value: Json;
  Condition?: string;
}

export interface Template {
  AWSTemplateFormatVersion: '2010-09-09';
  Description: string;
  Parameters: Record<string, Parameter>;
  Conditions?: Record<string, Json>;
  Resources: Record<string, Resource>;
  Outputs: Record<string, Output>;
}

export const ref = (name: string): Json => ({ Ref: name });
export const getAtt = (resource: string, attribute: string): Json => ({ 'Fn::GetAtt': [resource, attribute] });
export const join = (sep: string, parts: Json[] | Json): Json => ({ 'Fn::Join': [sep, parts] });
export const sub = (text: string): Json => ({ 'Fn::Sub': text });
export const base64 = (v: Json): Json => ({ 'Fn::Base64': v });
export const ifCond = (cond: string, yes: Json, no: Json): Json => ({ 'Fn::If': [cond, yes, no] });
export const NO_VALUE: Json = { Ref: 'AWS::NoValue' };
export const select = (i: number, list: Json): Json => ({ 'Fn::Select': [String(i), list] });

/** Tags every resource gets so an operator can find a cluster's parts. */
export function tags(clusterName: string, name: string): Json[] {
  return [
    { Key: 'Name', Value: sub(`\${AWS::StackName}-${name}`) },
    { Key: 'dcos-cluster', Value: clusterName },
  ];
}

/** Stable JSON text: two-space indent, keys in insertion order (the builders insert in a fixed order). */
export function templateText(t: Template): string {
  return `${JSON.stringify(t, null, 2)}\n`;
}
