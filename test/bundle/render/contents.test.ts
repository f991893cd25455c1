/** Script texts handed over raw or YAML-dumped (the original's form) both come out as the script. */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dumpedScript, scriptText } from '../../../src/bundle/render/contents.js';
import { dumpString } from '../../../src/pycompat/yaml-dump.js';

describe('scriptText', () => {
  it('unwraps the original YAML-dumped form', () => {
    expect(scriptText("'#!/bin/sh\n\n  echo 10.0.0.1\n\n  '\n")).toBe('#!/bin/sh\necho 10.0.0.1\n');
    expect(scriptText('"#!/bin/sh\\n\\tip addr\\n"\n')).toBe('#!/bin/sh\n\tip addr\n');
  });

  it('leaves raw scripts alone, including ones that start with a quote', () => {
    for (const raw of [
      '#!/bin/sh\necho 10.0.0.1\n',
      "'quoted' first line\necho x\n",
      '"x"\n',
      '',
      'echo x\n...\nmore\n',
    ]) {
      expect(scriptText(raw)).toBe(raw);
    }
  });

  it('round-trips any script through the recorded form', () => {
    const script = fc.string({
      unit: fc.constantFrom('a', 'b', ' ', '\n', '\t', "'", '"', '\\', ':', '#', '-', 'é', '\r', '$', '{', '}'),
      maxLength: 200,
    });
    fc.assert(
      fc.property(script, (s) => {
        expect(scriptText(dumpString(s))).toBe(s);
        // The one ambiguity: a "script" that is itself byte for byte a dump (e.g. `''` + newline).
        fc.pre(scriptText(s) === s);
        expect(dumpedScript(s)).toBe(dumpString(s));
        expect(dumpedScript(dumpString(s))).toBe(dumpString(s));
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips long lines that the dump folds at 80 columns', () => {
    const line = `curl -fsSL ${'http://169.254.169.254/latest/meta-data/local-ipv4 '.repeat(4)}| head -n1`;
    for (const s of [`#!/bin/sh\n${line}\n`, `#!/bin/sh\n  ${line}\n`, line]) expect(scriptText(dumpString(s))).toBe(s);
  });
});
