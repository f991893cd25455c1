/**
 * Renders the README's "Configuration keys" section from schema/config.schema.json, so the two never drift:
 *   node dist/scripts/gen-key-docs.js          print the section
 *   node dist/scripts/gen-key-docs.js --write  replace it in README.md (between the keys markers)
 * test/config/key-docs.test.ts fails when README.md is out of step with the schema.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSchema, type ConfigSchema } from '../src/config/schema.js';

export const START = '<!-- section:keys:start -->';
export const END = '<!-- section:keys:end -->';

type Prop = ConfigSchema['properties'][string];

function typeOf(p: Prop): string {
  if (Array.isArray(p.enum)) {
    const e = p.enum as unknown[];
    if (e.length === 4 && e.includes(true) && e.includes('true')) return 'bool';
    return e.map((v) => `\`${String(v)}\``).join(' \\| ');
  }
  if (Array.isArray(p.oneOf)) return 'int';
  if (p.type === 'array') return 'list';
  if (p.type === 'object') return 'dict';
  if (Array.isArray(p.type)) return (p.type as string[]).join('/');
  return typeof p.type === 'string' ? p.type : 'any';
}

function defaultOf(p: Prop): string {
  if (!('default' in p)) return '';
  const d = p.default;
  const text = typeof d === 'string' ? d : JSON.stringify(d);
  if (text === '') return "`''`";
  return text.length > 60 ? `\`${text.slice(0, 57)}…\`` : `\`${text.replace(/\|/g, '\\|')}\``;
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function renderKeyDocs(schema: ConfigSchema): string {
  const required = new Set(schema.required);
  const keys = Object.keys(schema.properties).sort();
  const unusedText = 'Accepted for compatibility';
  const settable = keys.filter(
    (k) => !schema.properties[k]!.readOnly && !String(schema.properties[k]!.description ?? '').startsWith(unusedText),
  );
  const calculated = keys.filter((k) => schema.properties[k]!.readOnly);
  const unused = keys.filter((k) => String(schema.properties[k]!.description ?? '').startsWith(unusedText));
  const lines: string[] = [
    'Generated from [`schema/config.schema.json`](schema/config.schema.json) by `node dist/scripts/gen-key-docs.js --write`; do not edit by hand.',
    "Values may be written as YAML types or as strings (DC/OS 1.11 turned every value into a string first: `true` → `'true'`, lists → JSON).",
    '',
    `### Keys you set (${settable.length})`,
    '',
    '| key | type | default | description |',
    '| --- | --- | --- | --- |',
    ...settable.map((k) => {
      const p = schema.properties[k]!;
      return `| \`${k}\`${required.has(k) ? ' (required)' : ''} | ${typeOf(p)} | ${defaultOf(p)} | ${cell(String(p.description ?? ''))} |`;
    }),
    '',
    `### Calculated keys (${calculated.length}): setting one is an error`,
    '',
    calculated.map((k) => `\`${k}\``).join(', '),
    '',
    `### Accepted but not used by open DC/OS (${unused.length}): no warning`,
    '',
    unused.map((k) => `\`${k}\``).join(', '),
  ];
  return lines.join('\n');
}

/** README text with the keys section replaced. */
export function withKeyDocs(readme: string, section: string): string {
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a === -1 || b === -1 || b < a) throw new Error('README.md has no keys section markers');
  return `${readme.slice(0, a + START.length)}\n${section}\n${readme.slice(b)}`;
}

function main(): void {
  const section = renderKeyDocs(loadSchema());
  if (!process.argv.includes('--write')) {
    process.stdout.write(`${section}\n`);
    return;
  }
  const here = path.dirname(fileURLToPath(import.meta.url));
  const readmePath = [path.resolve(here, '..', 'README.md'), path.resolve(here, '..', '..', 'README.md')].find((p) => {
    try {
      return readFileSync(p, 'utf8').includes(START);
    } catch {
      return false;
    }
  });
  if (!readmePath) throw new Error('README.md not found');
  const next = withKeyDocs(readFileSync(readmePath, 'utf8'), section);
  const tmp = `${readmePath}.tmp-${process.pid}`;
  writeFileSync(tmp, next);
  renameSync(tmp, readmePath);
  process.stdout.write(`updated ${readmePath}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) main();
