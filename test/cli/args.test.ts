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
    expect(() => parseArgs(['--preflight', '--deploy'], '/')).toThrow(
      /--deploy: not allowed with argument --preflight/,
    );
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

describe('first-hour usage errors', () => {
  it('--dry-run without an SSH action is a usage error, not a silent --genconf', () => {
    expect(() => parseArgs(['--dry-run'], '/')).toThrowError(UsageError);
    expect(() => parseArgs(['--dry-run'], '/')).toThrow('--dry-run needs an SSH action');
    expect(parseArgs(['--dry-run', '--deploy'], '/').dryRun).toBe(true);
  });
  it('a negative --connect-timeout names the range, not "must be an integer"', () => {
    expect(() => parseArgs(['--connect-timeout', '-1'], '/')).toThrow(
      /--connect-timeout must be between \d+ and \d+, got -1/,
    );
    expect(() => parseArgs(['--connect-timeout', 'ten'], '/')).toThrow(
      /--connect-timeout must be a whole number from \d+ to \d+, got 'ten'/,
    );
  });
});
