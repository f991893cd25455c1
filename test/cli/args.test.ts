import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/args.js';
import { UsageError } from '../../src/errors.js';

describe('parseArgs', () => {
  it('defaults to --genconf with ./genconf', () => {
    const o = parseArgs([], '/work/x');
    expect(o.action).toBe('genconf');
    expect(o.genconfDir).toBe('/work/x/genconf');
    expect(o.baseDir).toBe('/work/x');
    expect(o.artifactsDir).toBe('/work/x/artifacts');
    expect(o.hostKeyChecking).toBe('accept-new');
  });
  it('rejects two actions at once as a usage error', () => {
    expect(() => parseArgs(['--preflight', '--deploy'], '/')).toThrowError(UsageError);
    expect(() => parseArgs(['--preflight', '--deploy'], '/')).toThrow(/--deploy: not allowed with argument --preflight/);
  });
  it('rejects unknown flags', () => {
    expect(() => parseArgs(['--bogus'], '/')).toThrowError(UsageError);
  });
  it('takes the optional argument of --hash-password', () => {
    expect(parseArgs(['--hash-password', 'pw'], '/').actionArg).toBe('pw');
    expect(parseArgs(['--hash-password'], '/').actionArg).toBeUndefined();
  });
  it('validates --parallelism', () => {
    expect(parseArgs(['--preflight', '--parallelism', '5'], '/').parallelism).toBe(5);
    expect(() => parseArgs(['--preflight', '--parallelism', 'x'], '/')).toThrowError(UsageError);
  });
});
