/**
 * Nothing an operator can put in config.yaml makes the judge throw (1.11 crashed on many), and the CLI
 * exits 0 or 1 on it, never 70. 10,000+ generated or mutated documents: random types in every key, deep
 * nesting, junk bytes, broken YAML.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { knownKeys } from '../../src/config/known-keys.js';
import { main } from '../../src/main.js';
import { judge, yamlOf } from './helpers.js';

const KEYS = knownKeys();

/** A YAML value of any shape: scalars of every YAML 1.1 type, flow and block collections, nesting. */
const scalarText = fc.oneof(
  fc.constantFrom(
    '',
    '~',
    'null',
    'yes',
    'no',
    'on',
    "'yes'",
    'true',
    '0',
    '-1',
    '017',
    '0x1F',
    '1:20',
    '1.5',
    '.inf',
    '.nan',
    '1e5',
    '2001-01-01',
    '2001-01-01 10:00:00',
    '[]',
    '{}',
    '"\\u0000"',
    "''",
    '!!str 1',
    '!!int x',
    '!!binary aGk=',
    '&a 1',
    '*a',
    '"10.0.0.1:22"',
    '10.0.0.1',
    'file:///x',
    '/abs',
    'rel/',
  ),
  fc.string({ maxLength: 30 }).map((s) => JSON.stringify(s)),
  fc.integer().map(String),
  fc.double().map(String),
  // Number-shaped plain scalars: YAML 1.1's int/float patterns accept '_', ':' and 0b/0x/0 prefixes in odd places.
  fc
    .tuple(
      fc.constantFrom('', '-', '+'),
      fc.constantFrom('', '0', '0x', '0b', '0o', '.'),
      fc.stringMatching(/^[0-9a-fA-F_:.eE+-]{0,8}$/),
    )
    .map(([sign, prefix, rest]) => `${sign}${prefix}${rest}`),
);

const jsonish = fc.jsonValue({ maxDepth: 4 });

const deepNesting = fc.tuple(fc.integer({ min: 1, max: 400 }), fc.constantFrom('[', '{a: ', '- ')).map(([n, open]) => {
  if (open === '[') return '['.repeat(n) + ']'.repeat(n);
  if (open === '{a: ') return '{a: '.repeat(n) + '1' + '}'.repeat(n);
  return '\n' + Array.from({ length: Math.min(n, 150) }, (_, i) => ' '.repeat(i * 2) + '- x').join('\n');
});

const valueText = fc.oneof(
  { weight: 4, arbitrary: scalarText },
  { weight: 3, arbitrary: jsonish.map((v) => JSON.stringify(v)) },
  { weight: 2, arbitrary: jsonish.map((v) => '\n' + stringify(v).replace(/^/gm, '  ').trimEnd()) },
  { weight: 1, arbitrary: deepNesting },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => JSON.stringify(s)) },
);

const keyText = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...KEYS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom('<<', '? [a]', '1', 'yes', '~', '"quoted key"') },
);

/** A structured document: the valid base with some keys replaced by random values. */
const structured = fc.array(fc.tuple(keyText, valueText), { maxLength: 12 }).map((pairs) => {
  const over: Record<string, string> = {};
  for (const [k, v] of pairs) over[k] = v;
  return yamlOf(over);
});

/** The base document with bytes inserted, deleted or replaced at random places. */
const mutated = fc
  .array(fc.tuple(fc.nat(), fc.nat({ max: 20 }), fc.string({ unit: 'binary', maxLength: 8 })), {
    minLength: 1,
    maxLength: 6,
  })
  .map((edits) => {
    let text = yamlOf({});
    for (const [at, del, ins] of edits) {
      const i = at % (text.length + 1);
      text = text.slice(0, i) + ins + text.slice(i + del);
    }
    return text;
  });

const junk = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
  fc.constantFrom(
    '',
    '\uFEFF',
    '---\n---\n',
    '- a\n',
    '"x"',
    '%YAML 1.1\n---\na: 1\n',
    'a: &x [*x]\n',
    'a: *nope\n',
    '? [a, b]\n: c\n',
    '\t\ta: 1',
    '{',
    '}',
  ),
);

const target = fc.constantFrom('ssh' as const, 'genconf' as const);

function neverThrows(text: string, on: 'ssh' | 'genconf'): void {
  {
    const r = judge(text, on, false);
    expect(typeof r.valid).toBe('boolean');
    if (r.valid) expect(r.args).toBeDefined();
    else expect(r.errors.length).toBeGreaterThan(0);
    for (const i of [...r.errors, ...r.warnings]) {
      expect(typeof i.key).toBe('string');
      expect(typeof i.message).toBe('string');
    }
  }
}

describe('judgeConfig never throws', () => {
  it('structured documents with random values in every key (4,000)', () => {
    fc.assert(fc.property(structured, target, neverThrows), { numRuns: 4000 });
  }, 600_000);
  it('mutated documents (4,000)', () => {
    fc.assert(fc.property(mutated, target, neverThrows), { numRuns: 4000 });
  }, 600_000);
  it('junk bytes and odd YAML (2,000)', () => {
    fc.assert(fc.property(junk, target, neverThrows), { numRuns: 2000 });
  }, 600_000);
});

describe('the CLI on generated documents exits 0 or 1, never 70', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'genconf-prop-cli-'));
    mkdirSync(path.join(dir, 'genconf'));
    writeFileSync(path.join(dir, 'genconf', 'ip-detect'), '#!/bin/sh\necho 10.0.0.1\n');
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterAll(() => vi.restoreAllMocks());
  it('200 runs of --validate-config (human and --json, with and without --strict)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(structured, mutated, junk), fc.boolean(), fc.boolean(), async (text, json, strict) => {
        writeFileSync(path.join(dir, 'genconf', 'config.yaml'), text);
        const argv = [
          '--validate-config',
          '--genconf-dir',
          path.join(dir, 'genconf'),
          ...(json ? ['--json'] : []),
          ...(strict ? ['--strict'] : []),
        ];
        const code = await main(argv, dir);
        expect([0, 1]).toContain(code);
      }),
      { numRuns: 200 },
    );
  }, 600_000);
});
