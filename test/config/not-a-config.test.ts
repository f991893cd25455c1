/**
 * config.yaml linked to /etc/shadow (or any file that is not a config): refused as a whole, and no line of it,
 * hashes included, is repeated in any message. Unknown keys that are not shaped like key names are never echoed.
 */
import { describe, expect, it } from 'vitest';
import { judge, yamlOf } from './helpers.js';

const SHADOW =
  [
    'root:$6$Zx9sQp1e$G8hVfU1b0yQmF3cS5pHashOfRootXyz:19000:0:99999:7:::',
    'daemon:*:19000:0:99999:7:::',
    'alice:$6$abcdEFGH$AnotherSecretHashValue1234567890:19000:0:99999:7:::',
  ].join('\n') + '\n';

describe('a file that is not a DC/OS config', () => {
  it('shadow-like text is refused with one clear error and none of its content', () => {
    const r = judge(SHADOW);
    expect(r.valid).toBe(false);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]!.message).toContain('is not a DC/OS configuration');
    const everything = JSON.stringify([r.errors, r.warnings]);
    expect(everything).not.toContain('$6$');
    expect(everything).not.toContain('root:');
    expect(r.warnings).toEqual([]);
  });

  it('a real config with one hash-like stray key: a warning that does not echo the key text', () => {
    const r = judge(yamlOf({}) + 'root:$6$Zx9sQp1e$HashHashHash:19000: 1\n');
    expect(JSON.stringify([r.errors, r.warnings])).not.toContain('$6$');
    expect(r.warnings.some((w) => w.key === '(key at line 9)' && w.line === 9)).toBe(true);
  });

  it('ordinary unknown keys are still named, with suggestions', () => {
    const r = judge(yamlOf({ clustr_name: 'x' }));
    expect(r.warnings.some((w) => w.message.includes("Unknown key 'clustr_name'"))).toBe(true);
  });
});

describe('a value nested past the parser', () => {
  it('is one located error in plain words, not JavaScript\'s "Maximum call stack size exceeded"', () => {
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    const r = judge(yamlOf({}) + `deep: ${deep}\n`);
    expect(r.valid).toBe(false);
    expect(r.errors).toHaveLength(1);
    const e = r.errors[0]!;
    expect(e.message).toContain('nested too deeply');
    expect(e.message).not.toMatch(/call stack/i);
    expect(e.line).toBe(9);
    expect(e.column).toBeGreaterThan(6);
  });
});
