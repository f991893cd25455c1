/**
 * Cases where the two emitters merged into src/pycompat/yaml-dump.ts once disagreed, and the gen "pretty"
 * JSON form that moved into src/pycompat/py.ts. Expected texts were printed by PyYAML 6.0.3 / Python 3.11.
 */
import { describe, expect, it } from 'vitest';
import { pyFromJson } from '../../src/pycompat/py.js';
import { pyJsonDumps, pyJsonLoads, pyJsonPretty } from '../../src/pycompat/json.js';
import { pyYamlDump } from '../../src/pycompat/yaml-dump.js';

describe('pyYamlDump where the old emitters differed', () => {
  it('counts the !!str tag into the 128-character simple-key limit', () => {
    for (const [n, simple] of [
      [121, true],
      [122, true],
      [123, false],
      [127, false],
    ] as const) {
      const key = 'k'.repeat(n);
      expect(pyYamlDump(pyJsonLoads(JSON.stringify({ [key]: 'v' }))), String(n)).toBe(
        simple ? `${key}: v\n` : `? ${key}\n: v\n`,
      );
    }
  });

  it('sorts keys by code point, as Python compares str', () => {
    expect(pyYamlDump(pyJsonLoads('{"\\ud83d\\ude00": 2, "\\uffff": 1}'))).toBe('"\\uFFFF": 1\n"\\U0001F600": 2\n');
  });

  it('quotes a str PyYAML would resolve as an int even where the int does not parse', () => {
    expect(pyYamlDump('0x_')).toBe("'0x_'\n");
    expect(pyYamlDump('0b_')).toBe("'0b_'\n");
  });
});

describe('Python json.dumps forms used by the bundle writer', () => {
  it('pretty form: indent 2, separators , and :, keys sorted by code point, ensure_ascii', () => {
    const v = { b: [1, 'é', 1.5, null, true], a: {}, '\uffff': [], '\u{1F600}': 'x' };
    expect(pyJsonPretty(pyFromJson(v))).toBe(
      '{\n  "a":{},\n  "b":[\n    1,\n    "\\u00e9",\n    1.5,\n    null,\n    true\n  ],\n  "\\uffff":[],\n  "\\ud83d\\ude00":"x"\n}',
    );
  });

  it('default form of a list of str', () => {
    expect(pyJsonDumps(pyFromJson(['a', 'é']))).toBe('["a", "\\u00e9"]');
  });
});
