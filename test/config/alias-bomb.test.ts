/**
 * YAML alias bombs: nested aliases that multiply (a 1 KB file that expands to billions of values) and the same with
 * merge keys. Both must end at once with a located error, never run for minutes or exhaust memory.
 */
import { describe, expect, it } from 'vitest';
import { loadConfigText, MAX_ALIAS_EXPANSION } from '../../src/config/yaml11.js';
import { judge, yamlOf } from './helpers.js';

/** level0: &l0 [x, x, ...]; level1: &l1 [*l0, *l0, ...]; ... each level `width` times the one before. */
function listBomb(levels: number, width = 9): string {
  const lines = [`l0: &l0 [${Array(width).fill('"lol"').join(', ')}]`];
  for (let i = 1; i < levels; i++)
    lines.push(
      `l${i}: &l${i} [${Array(width)
        .fill(`*l${i - 1}`)
        .join(', ')}]`,
    );
  return lines.join('\n') + '\n';
}

/** Each level a mapping merging the previous level several times, under distinct keys. */
function mergeBomb(levels: number): string {
  const lines = ['m0: &m0 {a: 1, b: 2, c: 3}'];
  for (let i = 1; i < levels; i++) {
    lines.push(`m${i}: &m${i}`);
    for (const k of ['p', 'q', 'r', 's', 't']) lines.push(`  ${k}: {<<: [*m${i - 1}], own: ${k}}`);
  }
  return lines.join('\n') + '\n';
}

describe('alias expansion is bounded', () => {
  it('a 9-level list bomb (9^9 values) is refused, located at the first key that crosses the bound', () => {
    const text = listBomb(10);
    expect(text.length).toBeLessThan(1200);
    const r = loadConfigText(text);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const bomb = r.problems.find((p) => p.message.includes('alias bomb'));
    expect(bomb, JSON.stringify(r.problems)).toBeDefined();
    expect(bomb!.message).toContain(`more than ${MAX_ALIAS_EXPANSION} values`);
    expect(bomb!.line).toBeGreaterThan(1);
    expect(bomb!.key).toMatch(/^l\d$/);
  });

  it('a merge-key bomb of 30 lines is refused', () => {
    const text = mergeBomb(12);
    const r = loadConfigText(text);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.problems.some((p) => p.message.includes('alias bomb'))).toBe(true);
  });

  it('in a whole config: a located error on the key, the config is invalid', () => {
    const text = yamlOf({}) + listBomb(12);
    const r = judge(text);
    expect(r.valid).toBe(false);
    const issue = r.errors.find((e) => e.message.includes('alias bomb'));
    expect(issue?.file).toBe('genconf/config.yaml');
    expect(issue?.line).toBeGreaterThan(8);
  });

  it('ordinary reuse of anchors still works', () => {
    const text = yamlOf({ resolvers: '&dns [8.8.8.8, 8.8.4.4]', dns_search: 'example.com' }) + 'extra_list: *dns\n';
    const r = loadConfigText(text);
    expect(r.ok && r.problems).toEqual([]);
  });
});
