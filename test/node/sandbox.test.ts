import fs from 'node:fs';
import { describe, expect, test } from 'vitest';
import { PRIVATE_DIRS, Sandbox, SandboxKilled, withSandbox } from '../support/sandbox.js';
import { needSandbox } from './tools.js';

describe('test/support/sandbox', { timeout: 120_000 }, () => {
  test('writes under the private directories land in the sandbox, not on the machine', async (ctx) => {
    needSandbox(ctx);
    const marker = `sandbox-test-${process.pid}`;
    await withSandbox((sb) => {
      const script = PRIVATE_DIRS.map((d) => `echo ${d} > ${d}/${marker}`).join('; ');
      const r = sb.sh(`${script}; command -v systemctl; echo "$PATH"`);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe('/usr/local/bin/systemctl\n/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin\n');
      for (const d of PRIVATE_DIRS) {
        expect(fs.readFileSync(sb.hostPath(`${d}/${marker}`), 'utf8')).toBe(`${d}\n`);
        expect(fs.existsSync(`${d}/${marker}`), d).toBe(false);
      }
      expect(() => sb.hostPath('/etc/passwd')).toThrow(/not under a private directory/);
    });
  });

  test('a command killed from outside throws SandboxKilled; withSandbox runs the body again once', async (ctx) => {
    needSandbox(ctx);
    const sb = Sandbox.create();
    try {
      expect(() => sb.sh('kill -KILL $$')).toThrow(SandboxKilled);
      expect(sb.sh('exit 7').status).toBe(7);
    } finally {
      sb.dispose();
    }
    let attempts = 0;
    const out = await withSandbox((s) => {
      attempts++;
      if (attempts === 1) s.sh('kill -KILL $$');
      return s.sh('echo second').stdout;
    });
    expect([attempts, out]).toEqual([2, 'second\n']);
    // Only once: a second kill fails the test.
    await expect(withSandbox((s) => s.sh('kill -KILL $$'))).rejects.toThrow(SandboxKilled);
  });
});
