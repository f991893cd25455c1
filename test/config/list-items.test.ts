/**
 * The operator's first hour (issue 12, point 5): a bad list item is located at its own line, not the key's; a single
 * address where a list belongs is still invalid (as in 1.11) but says it must be a list and how to write one.
 */
import { describe, expect, it } from 'vitest';
import { judge, yamlOf } from './helpers.js';

describe('list errors point at the bad item', () => {
  it('an invalid address in a block list: the item line and column', () => {
    const text =
      yamlOf({ master_list: null, agent_list: null }) + 'master_list:\n- 10.0.0.1\n- 10.0.0.2\n- 10.0.0.3x\n';
    const r = judge(text, 'genconf');
    expect(r.valid).toBe(false);
    const keyLine = text.split('\n').indexOf('master_list:') + 1;
    expect(r.errors).toEqual([
      expect.objectContaining({
        key: 'master_list',
        line: keyLine + 3,
        column: 3,
        message: expect.stringContaining('10.0.0.3x') as string,
      }),
    ]);
  });

  it('a flow list: the item column on the key line', () => {
    const r = judge(yamlOf({ agent_list: '[10.0.0.11, nope]' }));
    expect(r.errors).toEqual([expect.objectContaining({ key: 'agent_list', line: 6, column: 25 })]);
  });

  it('a duplicate: the line of its second occurrence', () => {
    const text = yamlOf({ resolvers: null }) + 'resolvers:\n  - 8.8.8.8\n  - 8.8.4.4\n  - 8.8.8.8\n';
    const r = judge(text);
    const keyLine = text.split('\n').indexOf('resolvers:') + 1;
    expect(r.errors).toEqual([
      expect.objectContaining({
        key: 'resolvers',
        line: keyLine + 3,
        column: 5,
        message: expect.stringMatching(/duplicates/) as string,
      }),
    ]);
  });

  it('an error that names no item stays on the key', () => {
    const r = judge(yamlOf({ master_list: '[10.0.0.1, 10.0.0.2]' }), 'genconf');
    expect(r.errors).toEqual([expect.objectContaining({ key: 'num_masters' })]);
    const s = judge(yamlOf({ master_list: '{a: 1}' }), 'genconf');
    expect(s.errors[0]).toMatchObject({ key: 'master_list', line: 5, column: 1 });
  });
});

describe('a single address where a list belongs', () => {
  it('master_list: 10.0.0.11 is invalid, saying it must be a list and how to write it', () => {
    const r = judge(yamlOf({ master_list: '10.0.0.11' }), 'genconf');
    expect(r.valid).toBe(false);
    expect(r.errors).toEqual([
      expect.objectContaining({
        key: 'master_list',
        line: 5,
        message:
          'Must be a list of addresses, not the single value `10.0.0.11`: write it as a YAML list, [10.0.0.11], or put each address on its own line below the key, as `- 10.0.0.11`',
      }),
    ]);
    expect(r.errors[0]!.message).not.toMatch(/Extra data/);
  });

  it('comma-separated addresses get the same help; a word keeps 1.11 JSON message', () => {
    const r = judge(yamlOf({ resolvers: '8.8.8.8,8.8.4.4' }));
    expect(r.errors[0]!.message).toContain('[8.8.8.8, 8.8.4.4]');
    const w = judge(yamlOf({ master_list: 'foo' }), 'genconf');
    expect(w.errors[0]!.message).toMatch(/^Must be a JSON formatted list/);
  });
});
