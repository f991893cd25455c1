/**
 * `npm run lab -- up N` / `down`: the README's way to try the SSH stages without machines. Starts the built script
 * (dist/scripts/lab.js, as `npm run lab` does), runs --preflight against the genconf directory it wrote, then stops
 * the hosts. The pure parts (roles, the config it writes) are checked without a lab.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { judgeConfigText } from '../../src/config/validate.js';
import { labConfig, roles } from '../../scripts/lab.js';
import { main } from '../../src/main.js';
import { describeLab } from './harness/gate.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const SCRIPT = path.join(REPO, 'dist', 'scripts', 'lab.js');
const built = existsSync(SCRIPT);

describe('lab: roles and config', () => {
  it('odd master counts, one public agent from 3 hosts up', () => {
    expect(roles(1)).toEqual(['master']);
    expect(roles(2)).toEqual(['master', 'agent']);
    expect(roles(3)).toEqual(['master', 'agent', 'public_agent']);
    expect(roles(5)).toEqual(['master', 'master', 'master', 'agent', 'public_agent']);
    expect(roles(7).filter((r) => r === 'master')).toHaveLength(5);
  });
  it('the config it writes is valid for the SSH rules, strictly', () => {
    for (const n of [1, 2, 5, 9]) {
      const hosts = roles(n).map((role, i) => ({ address: `127.130.1.${i + 1}`, role }));
      const dir = mkdtempSync(path.join(os.tmpdir(), 'genconf-labcfg-'));
      const r = judgeConfigText(labConfig(hosts, 'centos'), {
        genconfDir: dir,
        baseDir: path.dirname(dir),
        target: 'ssh',
        strict: true,
        displayFile: 'config.yaml',
      });
      // ip-detect is not written here: the only error allowed is the missing script.
      expect(r.errors.map((e) => e.key)).toEqual(['ip_detect_filename']);
      expect(r.warnings).toEqual([]);
    }
  });
});

describeLab('lab: npm run lab -- up / down', () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'genconf-labcmd-'));
  const dir = path.join(work, 'lab');
  const lab = (...args: string[]) =>
    spawnSync(process.execPath, [SCRIPT, ...args, '--dir', dir], { encoding: 'utf8', timeout: 240_000 });
  afterAll(() => {
    lab('down');
    rmSync(work, { recursive: true, force: true });
  });

  it.runIf(built || process.env.CI === 'true')(
    'up 3 writes a ready genconf dir; --genconf and --preflight pass on it; down stops the hosts',
    async () => {
      expect(built).toBe(true);
      const up = lab('up', '3');
      expect(up.stderr).not.toContain('lab:');
      expect(up.status).toBe(0);
      expect(up.stdout).toMatch(/^Lab up in [\d.]+ s: 3 hosts$/m);
      for (const f of ['config.yaml', 'ip-detect', 'ssh_key', 'known_hosts'])
        expect(existsSync(path.join(dir, 'genconf', f))).toBe(true);
      const rec = JSON.parse(readFileSync(path.join(dir, 'lab.json'), 'utf8')) as {
        pid: number;
        hosts: Array<{ address: string }>;
      };
      expect(rec.hosts.every((h) => /^127\./.test(h.address))).toBe(true);
      // A second up refuses while the first is alive.
      const again = lab('up', '3');
      expect(again.status).toBe(1);
      expect(again.stderr).toContain('already up');

      expect(await main(['--genconf', '--no-color'], dir)).toBe(0);
      expect(await main(['--preflight', '--no-color', '--host-key-checking', 'strict'], dir)).toBe(0);

      const down = lab('down');
      expect(down.status).toBe(0);
      expect(down.stdout).toContain('Lab down: 3 hosts stopped');
      expect(existsSync(path.join(dir, 'lab.json'))).toBe(false);
      expect(() => process.kill(rec.pid, 0)).toThrow();
    },
    400_000,
  );
});
