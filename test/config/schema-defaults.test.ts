/**
 * The schema's defaults as DC/OS 1.11 strings: a list or dict default is json.dumps(json.loads(its JSON text)),
 * computed from the parsed value without the text (schema.ts defaultText).
 */
import { describe, expect, it } from 'vitest';
import { pyJsonDumps, pyJsonLoads } from '../../src/pycompat/json.js';
import { defaultText, loadSchema } from '../../src/config/schema.js';

describe('schema defaults', () => {
  it('every list or dict default reads as json.loads would read its JSON text', () => {
    const structured = Object.entries(loadSchema().properties).filter(
      ([, spec]) => typeof spec.default === 'object' && spec.default !== null,
    );
    expect(structured.length).toBeGreaterThan(5);
    for (const [key, spec] of structured)
      expect(defaultText(key, spec.default), key).toBe(pyJsonDumps(pyJsonLoads(JSON.stringify(spec.default))));
  });

  it('numbers inside a default keep their int or float reading', () => {
    const value = { a: [1, 2.5, -0, 1e3], b: { c: null, d: true } };
    expect(defaultText('x', value)).toBe(pyJsonDumps(pyJsonLoads(JSON.stringify(value))));
  });
});
