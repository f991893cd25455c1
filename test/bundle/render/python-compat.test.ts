/**
 * The renderer's PyYAML emitter and Python json encoder against the real ones: every case in
 * fixtures/python-cases.json was printed by PyYAML 6.0.3 / Python 3.11 (see gen-python-cases.py), and
 * covers quoting, escaping, folding at 80 columns, block scalars, explicit keys and float formatting.
 */

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseJson, pyJsonDumpTree } from '../../../src/pycompat/json-tree.js';
import { pyJsonDumps, pyJsonFloat, pyJsonLoads } from '../../../src/pycompat/json.js';
import { PyDict, PyFloat, pyFloatRepr } from '../../../src/pycompat/py.js';
import { dumpLiteralMapping, dumpString, pyYamlDump } from '../../../src/pycompat/yaml-dump.js';
import { analyzeScalar } from '../../../src/pycompat/yaml-scalar.js';

interface Case {
  kind: 'str' | 'map' | 'block' | 'json2' | 'jsonsorted' | 'jsoncompact';
  in: string | Record<string, string>;
  out: string;
}

const cases = JSON.parse(
  readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'fixtures/python-cases.json'), 'utf8'),
) as Case[];

function ours(c: Case): string {
  switch (c.kind) {
    case 'str':
      return dumpString(c.in as string);
    case 'map':
      return dumpLiteralMapping(c.in as Record<string, string>);
    case 'block':
      return pyYamlDump(pyJsonLoads(c.in as string));
    case 'json2':
      return pyJsonDumpTree(parseJson(c.in as string), { indent: 2 });
    case 'jsonsorted':
      return pyJsonDumpTree(parseJson(c.in as string), { indent: 2, sortKeys: true, separators: [',', ':'] });
    case 'jsoncompact':
      return pyJsonDumpTree(parseJson(c.in as string));
  }
}

describe('Python-compatible printing', () => {
  it('has cases of every kind', () => {
    expect(new Set(cases.map((c) => c.kind)).size).toBe(6);
  });

  it.each(['str', 'map', 'block', 'json2', 'jsonsorted', 'jsoncompact'] as const)(
    '%s cases print exactly as Python did',
    (kind) => {
      const mine = cases.filter((c) => c.kind === kind);
      expect(mine.length).toBeGreaterThan(50);
      const wrong = mine.filter((c) => ours(c) !== c.out).map((c) => ({ in: c.in, want: c.out, got: ours(c) }));
      expect(wrong.slice(0, 3)).toEqual([]);
    },
  );

  it('keeps well-known shapes', () => {
    expect(dumpString('#!/bin/sh\necho 10.0.0.1\n')).toBe("'#!/bin/sh\n\n  echo 10.0.0.1\n\n  '\n");
    expect(dumpString('plain')).toBe('plain\n...\n');
    expect(dumpString('yes')).toBe("'yes'\n");
    expect(dumpString('  indented\n')).toBe("'  indented\n\n  '\n");
    expect(dumpString('a\n  b')).toBe('"a\\n  b"\n');
    expect(dumpLiteralMapping({ b: 'x\n', a: '' })).toBe('"a": ""\n"b": |\n  x\n');
    expect(dumpLiteralMapping({})).toBe('{}\n');
    expect(analyzeScalar('a\n b').allowSingleQuoted).toBe(false);
    expect(pyFloatRepr(1e16)).toBe('1e+16');
    expect(pyFloatRepr(0.0001)).toBe('0.0001');
    expect(pyFloatRepr(1e-5)).toBe('1e-05');
    expect(pyFloatRepr(2)).toBe('2.0');
  });

  it('spells floats as repr() does in messages and as json.dumps does in JSON, from one printer', () => {
    // repr(float('nan')) == 'nan', json.dumps(float('nan')) == 'NaN' (and inf / Infinity).
    expect([pyFloatRepr(NaN), pyFloatRepr(Infinity), pyFloatRepr(-Infinity)]).toEqual(['nan', 'inf', '-inf']);
    expect([pyJsonFloat(NaN), pyJsonFloat(Infinity), pyJsonFloat(-Infinity)]).toEqual(['NaN', 'Infinity', '-Infinity']);
    expect(pyJsonFloat(0.5)).toBe(pyFloatRepr(0.5));
    // json.dumps(json.loads('[1e999, -0.0, NaN]')) == '[Infinity, -0.0, NaN]'
    expect(pyJsonDumpTree(parseJson('[1e999, -0.0]'))).toBe('[Infinity, -0.0]');
    expect(pyJsonDumps(pyJsonLoads('[1e999, -0.0, NaN]'))).toBe('[Infinity, -0.0, NaN]');
    // json.dumps({float('nan'): 1}) == '{"NaN": 1}'
    const d = new PyDict();
    d.set(new PyFloat(NaN), 1n);
    expect(pyJsonDumps(d)).toBe('{"NaN": 1}');
  });

  it('rejects text that is not JSON', () => {
    for (const bad of ['', '{', '{"a" 1}', '[1,]', '"\u0001"', 'nul', '{} x'])
      expect(() => parseJson(bad), bad).toThrow(/invalid JSON/);
  });
});
