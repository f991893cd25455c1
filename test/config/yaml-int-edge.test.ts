import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/yaml11.js';

// Values that match YAML 1.1's integer pattern but carry no digits once '_' is dropped. PyYAML (and so DC/OS 1.11)
// raised a bare ValueError on them; we report them on the key instead of crashing.
describe('integers without digits', () => {
  for (const value of ['0x_', '0b_', '-0x_', '+0b__', '0x', '0b']) {
    it(`'${value}' is a located problem, not a crash`, () => {
      const r = loadConfigText(`cluster_name: ${value}\nbootstrap_url: http://x\n`);
      if (!r.ok) throw new Error(`expected a parsed document, got ${JSON.stringify(r)}`);
      const problem = r.problems.find((p) => p.key === 'cluster_name');
      if (value === '0x' || value === '0b') {
        // Not an integer at all: a plain string.
        expect(problem).toBeUndefined();
        return;
      }
      expect(problem?.message).toContain('has no digits');
      expect(problem?.line).toBe(1);
    });
  }
});
