import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pyJsonLoads } from '../../src/pycompat/json.js';
import { pyYamlDump } from '../../src/pycompat/yaml-dump.js';

// Expected outputs were produced by PyYAML itself (test/config/fixtures/gen-pyyaml-dump-cases.py).
const cases = JSON.parse(readFileSync(new URL('./fixtures/pyyaml-dump-cases.json', import.meta.url), 'utf8')) as {
  strings: Array<{ in: string; out: string }>;
  dicts: Array<{ in: string; inner: string; out: string }>;
};

describe('pyYamlDump matches PyYAML yaml.dump', () => {
  it.each(cases.strings.map((c, i) => [i, c] as const))('string case %i', (_i, c) => {
    expect(pyYamlDump(c.in)).toBe(c.out);
  });
  it.each(cases.dicts.map((c, i) => [i, c] as const))('block dict case %i (rexray_config_contents)', (_i, c) => {
    const inner = pyYamlDump(pyJsonLoads(c.in));
    expect(inner).toBe(c.inner);
    expect(pyYamlDump(inner)).toBe(c.out);
  });
});
