import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { command, shellQuote, sudoCommand } from '../../src/transport/quote.js';

/** What a real shell makes of `printf '%s\0' <quoted args>`: the argv it parsed, one string per argument. */
function parsedBy(shell: string, args: string[]): string[] {
  const out = execFileSync(shell, ['-c', command(['printf', '%s\\0', ...args])], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

const special = fc.constantFrom(...`'"\\$\`!*?[]{}~#=&;|<>()% \t\n\r-é✓`.split(''), 'a', 'Z', '0', '/');
const arg = fc
  .oneof(
    fc.string({ unit: 'binary-ascii', maxLength: 30 }),
    fc.string({ unit: 'grapheme', maxLength: 20 }),
    fc.string({ unit: special, maxLength: 30 }),
  )
  .filter((s) => !s.includes('\0'));

describe('shellQuote / command', () => {
  for (const shell of ['bash', 'sh']) {
    it(`round-trips any argv through ${shell}`, () => {
      fc.assert(
        fc.property(fc.array(arg, { minLength: 1, maxLength: 6 }), (args) => {
          expect(parsedBy(shell, args)).toEqual(args);
        }),
        { numRuns: 150 },
      );
    });
  }

  it('leaves plain words alone and quotes everything a shell could interpret', () => {
    expect(shellQuote('/opt/mesosphere/bin/x.sh')).toBe('/opt/mesosphere/bin/x.sh');
    expect(shellQuote('--preflight-only')).toBe('--preflight-only');
    expect(shellQuote('')).toBe("''");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    // '=' would make a leading word an assignment; '~' would expand.
    expect(shellQuote('A=b')).toBe("'A=b'");
    expect(shellQuote('~root')).toBe("'~root'");
    expect(shellQuote('$(reboot)')).toBe("'$(reboot)'");
    expect(command(['A=b', 'x'])).toBe("'A=b' x");
  });

  it('refuses what no shell argument can hold', () => {
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
    expect(() => command([])).toThrow(/empty/);
  });

  it('builds sudo commands that never prompt', () => {
    expect(sudoCommand(['rm', '-rf', '/opt/dcos install'])).toBe("sudo -n -- rm -rf '/opt/dcos install'");
    expect(parsedBy('bash', ['sudo', '-n', '--', 'x y'])).toEqual(['sudo', '-n', '--', 'x y']);
  });
});
