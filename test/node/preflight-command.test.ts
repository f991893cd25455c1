/**
 * The one-command preflight as a node receives it: templates/remote/preflight.sh, ip-detect as a base64 line and
 * the rendered dcos_install.sh, concatenated the way the runner does and piped to `bash -s -- STAGING ROLE` as root
 * in the mount-namespace sandbox. Checks the framing the client parses, and that the command tidies up after itself.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { installCheckIdsOf, checkIdOf } from '../../src/stages/check-ids.js';
import { judgeFramedPreflight, splitFramedPreflight } from '../../src/stages/judge.js';
import { preflightSteps } from '../../src/stages/preflight.js';
import type { CommandOutcome, ExecStep } from '../../src/stages/types.js';
import { command } from '../../src/transport/quote.js';
import { clusterPlan } from '../fakes/cluster.js';
import { type RunResult, type Sandbox, withSandbox } from '../support/sandbox.js';
import { buildTestBundle, type TestBundle } from './bundle-fixture.js';
import { needSandbox } from './tools.js';

const WRAPPER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../templates/remote/preflight.sh');
const STAGING = '/opt/dcos_install_tmp';

let work: string;
let bundle: TestBundle;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'preflight-cmd-'));
  bundle = await buildTestBundle(path.join(work, 'serve'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** What the runner sends for the step (src/orchestrate/run-stage.ts: the stdin parts, in order). */
function stdinFor(ipDetect: string): Buffer {
  return Buffer.concat([
    fs.readFileSync(WRAPPER),
    Buffer.from(Buffer.from(ipDetect).toString('base64') + '\n'),
    fs.readFileSync(path.join(bundle.serveDir, 'dcos_install.sh')),
  ]);
}

/** Pipe the input through a real pipe, as sshd and sudo hand it to bash. */
function runPreflight(sb: Sandbox, ipDetect: string, role: string): CommandOutcome {
  fs.writeFileSync(sb.hostPath('/tmp/preflight.in'), stdinFor(ipDetect));
  return outcome(sb.sh(`cat /tmp/preflight.in | bash -s -- ${STAGING} ${role}`));
}

const outcome = (r: RunResult): CommandOutcome => ({ exitCode: r.status, stdout: r.stdout, stderr: r.stderr });

const IP_OK = '#!/bin/sh\necho 10.0.0.4\n';

describe('the one-command preflight on a node', { timeout: 180_000 }, () => {
  test("runs ip-detect and the role's checks, frames both, and leaves nothing behind", async (ctx) => {
    needSandbox(ctx);
    await withSandbox((sb) => {
      const r = runPreflight(sb, IP_OK, 'slave');
      const framed = splitFramedPreflight(r.stdout, r.stderr);
      expect(framed.ipDetect).toEqual({ exitCode: 0, stdout: '10.0.0.4\n\n', stderr: '' });
      expect(framed.preflight!.exitCode).toBe(r.exitCode);
      expect(framed.preflight!.stdout).toMatch(/^Checking .*: (PASS|FAIL|WARN)/m);
      // The agent port list, not the master's: the role reached dcos_install.sh.
      expect(framed.preflight!.stdout).toContain('5051');
      expect(framed.preflight!.stdout).not.toMatch(/port 8181 /);
      const verdict = judgeFramedPreflight('10.0.0.4', r);
      expect(verdict.checks![0]).toEqual({ name: 'ip-detect', status: 'pass', detail: '10.0.0.4' });
      expect(verdict.checks!.length).toBeGreaterThan(5);
      expect(fs.existsSync(sb.hostPath(STAGING))).toBe(false);
    });
  });

  test('a failing ip-detect is reported with its stderr, the checks still run', async (ctx) => {
    needSandbox(ctx);
    await withSandbox((sb) => {
      const r = runPreflight(sb, '#!/bin/sh\necho "no route to the metadata service" >&2\nexit 3\n', 'master');
      const framed = splitFramedPreflight(r.stdout, r.stderr);
      expect(framed.ipDetect).toEqual({ exitCode: 3, stdout: '\n', stderr: 'no route to the metadata service' });
      expect(framed.preflight!.exitCode).toBe(r.exitCode);
      const verdict = judgeFramedPreflight('10.0.0.1', r);
      expect(verdict.ok).toBe(false);
      expect(verdict.message).toMatch(/^ip-detect exited 3/);
      expect(verdict.checks![0]).toEqual({
        name: 'ip-detect',
        status: 'fail',
        detail: 'no route to the metadata service',
      });
    });
  });

  test("works in a directory of its own: a deploy's files in the staging directory are left alone", async (ctx) => {
    needSandbox(ctx);
    await withSandbox((sb) => {
      fs.mkdirSync(sb.hostPath(STAGING), { recursive: true });
      fs.writeFileSync(sb.hostPath(`${STAGING}/dcos-install.tar`), 'in use');
      runPreflight(sb, IP_OK, 'slave_public');
      expect(fs.readdirSync(sb.hostPath(STAGING))).toEqual(['dcos-install.tar']);
    });
  });

  test('a payload that is not base64 is refused before anything runs, exit 70, nothing left', async (ctx) => {
    needSandbox(ctx);
    await withSandbox((sb) => {
      fs.writeFileSync(
        sb.hostPath('/tmp/preflight.in'),
        Buffer.concat([fs.readFileSync(WRAPPER), Buffer.from('!!not base64!!\necho hi\n')]),
      );
      const r = outcome(sb.sh(`cat /tmp/preflight.in | bash -s -- ${STAGING} master`));
      expect(r.exitCode).toBe(70);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('the ip-detect script did not arrive intact');
      expect(judgeFramedPreflight('10.0.0.1', r).message).toBe(
        'the preflight could not start (exit 70): genconf preflight: the ip-detect script did not arrive intact',
      );
      expect(fs.existsSync(sb.hostPath(STAGING))).toBe(false);
    });
  });

  test('a flooding ip-detect: the node keeps its first 64 KiB and counts the rest, its exit status stays its own', async (ctx) => {
    needSandbox(ctx);
    await withSandbox((sb) => {
      // 20 MB on stdout, then how much its working directory holds at that moment, and exit 0.
      const flood =
        '#!/bin/sh\nhead -c 20000000 /dev/zero | tr "\\0" x\ndu -sb "$(dirname "$0")" | cut -f1 >&2\nexit 0\n';
      const r = runPreflight(sb, flood, 'slave');
      expect(r.stdout).toMatch(
        /^@@genconf ip-detect cut stdout=20000000 stderr=\d+ kept=65536\n@@genconf ip-detect exit=0\n/,
      );
      // What came back is bounded, and so was what the node held on disk while ip-detect ran.
      expect(r.stdout.length).toBeLessThan(200_000);
      const framed = splitFramedPreflight(r.stdout, r.stderr);
      expect(framed.ipDetect!.stdout).toBe('x'.repeat(65536) + '\n');
      expect(Number(framed.ipDetect!.stderr)).toBeLessThan(1_000_000);
      expect(framed.preflight!.exitCode).toBe(r.exitCode);
      const v = judgeFramedPreflight('10.0.0.4', r);
      expect(v.ok).toBe(false);
      expect(v.message).toMatch(
        /^ip-detect printed more on stdout than is kept \(20000000 bytes; the node keeps the first 65536\), so its answer was lost: it must print one IPv4 address \(10\.0\.0\.4\) and little else/,
      );
      expect(v.message).not.toContain('@@genconf');
      expect(v.checks![0]).toEqual({ name: 'ip-detect', status: 'fail', detail: 'flooded stdout (20000000 bytes)' });
      expect(v.checks!.length).toBeGreaterThan(5);
      expect(fs.existsSync(sb.hostPath(STAGING))).toBe(false);
    });
  });

  test('a flood on stderr alone is cut too; the address on stdout still decides', async (ctx) => {
    needSandbox(ctx);
    await withSandbox((sb) => {
      const r = runPreflight(sb, '#!/bin/sh\nhead -c 5000000 /dev/zero | tr "\\0" e >&2\necho 10.0.0.4\n', 'slave');
      expect(r.stdout).toMatch(/^@@genconf ip-detect cut stdout=9 stderr=5000000 kept=65536\n/);
      expect(r.stdout.length).toBeLessThan(200_000);
      const framed = splitFramedPreflight(r.stdout, r.stderr);
      expect(framed.ipDetect).toEqual({ exitCode: 0, stdout: '10.0.0.4\n\n', stderr: 'e'.repeat(65536) });
      expect(judgeFramedPreflight('10.0.0.4', r).checks![0]).toEqual({
        name: 'ip-detect',
        status: 'pass',
        detail: '10.0.0.4',
      });
    });
  });

  test('its files are root’s alone (0700 directory, 0600 files) and gone afterwards; ip-detect keeps its umask', async (ctx) => {
    needSandbox(ctx);
    await withSandbox((sb) => {
      // ip-detect reports the modes of the working directory and everything in it (once its output files exist),
      // and the umask it runs with.
      const probe =
        '#!/bin/sh\nd=$(dirname "$0")\n' +
        'for _ in $(seq 200); do [ -e "$d/ip.out" ] && [ -e "$d/ip.err" ] && break; sleep 0.05; done\n' +
        'stat -c "%a %n" "$d" "$d"/* | sed "s|$d|D|" >&2\numask >&2\necho 10.0.0.4\n';
      const given = sb.sh('umask').stdout.trim();
      expect(given).not.toBe('0077');
      const r = runPreflight(sb, probe, 'slave');
      const framed = splitFramedPreflight(r.stdout, r.stderr);
      expect(framed.ipDetect!.exitCode).toBe(0);
      expect(framed.ipDetect!.stderr.split('\n')).toEqual(
        expect.arrayContaining([
          '700 D',
          '600 D/dcos_install.sh',
          '700 D/ip-detect',
          '600 D/ip.err',
          '600 D/ip.err.fifo',
          '600 D/ip.out',
          given,
        ]),
      );
      expect(fs.existsSync(sb.hostPath(STAGING))).toBe(false);
    });
  });

  test('--ignore-check: the ids the step sends reach dcos_install.sh, which prints IGNORED, as genconf records them', async (ctx) => {
    needSandbox(ctx);
    await withSandbox((sb) => {
      fs.writeFileSync(sb.hostPath('/tmp/preflight.in'), stdinFor(IP_OK));
      // The node's command line exactly as the preflight step builds it (what follows `sudo -n`), quoted as the
      // transport quotes it.
      const argvFor = (ignoreChecks: string[]): string[] => {
        const plan = clusterPlan({}, { only: ['10.0.0.4'] });
        const step = preflightSteps({ ...plan, ignoreChecks }, plan.hosts[0]!, {
          preflightScript: WRAPPER,
          installScript: path.join(bundle.serveDir, 'dcos_install.sh'),
          ipDetect: '/unused',
        }).find((x) => x.id === 'preflight') as ExecStep;
        return step.argv.slice(2);
      };
      const run = (ignoreChecks: string[]): CommandOutcome =>
        outcome(sb.sh(`cat /tmp/preflight.in | ${command(argvFor(ignoreChecks))}`));

      // Docker stopped and something under /opt/mesosphere: several of dcos_install.sh's checks fail. Without
      // ignores the command is as before, and they are FAILs.
      sb.sh('systemctl stop docker');
      fs.mkdirSync(sb.hostPath('/opt/mesosphere'), { recursive: true });
      fs.writeFileSync(sb.hostPath('/opt/mesosphere/left-over'), 'x');
      expect(argvFor([])).toEqual(['bash', '-s', '--', STAGING, 'slave']);
      const plain = run([]);
      const failed = judgeFramedPreflight('10.0.0.4', plain).checks!.filter((c) => c.status === 'fail');
      const ids = [...new Set(installCheckIdsOf(failed.map((c) => checkIdOf(c.name))))];
      expect(ids).toEqual(expect.arrayContaining(['dcos-not-installed', 'docker-running', 'docker-version']));
      expect(splitFramedPreflight(plain.stdout, plain.stderr).preflight!.exitCode).toBe(failed.length);

      // Ignoring them all (and genconf's own ip-detect, which stays on the bootstrap node): the node prints each
      // IGNORED with what failed and the id, counts them apart and exits 0; genconf's verdict agrees line for line.
      const argv = argvFor([...ids, 'ip-detect']);
      expect(argv).toEqual(['bash', '-s', '--', STAGING, 'slave', '--ignore-check', ids.join(',')]);
      const r = run([...ids, 'ip-detect']);
      const framed = splitFramedPreflight(r.stdout, r.stderr);
      expect(framed.preflight!.exitCode).toBe(0);
      expect(r.exitCode).toBe(0);
      const out = framed.preflight!.stdout;
      expect(out).toContain('Checking if Docker is running: IGNORED (FAIL; --ignore-check docker-running)');
      expect(out).not.toMatch(/: FAIL\b/);
      expect(out).toMatch(new RegExp(`^Preflight summary: 0 FAIL, \\d+ WARN, ${failed.length} IGNORED$`, 'm'));
      const v = judgeFramedPreflight('10.0.0.4', r);
      expect(v.ok).toBe(true);
      const ignored = v.checks!.filter((c) => c.status === 'ignored');
      expect(ignored.map((c) => c.name)).toEqual(failed.map((c) => c.name));
      for (const c of ignored) expect(c.detail).toMatch(new RegExp(`^FAIL.*; --ignore-check ${checkIdOf(c.name)}$`));

      // Ignoring one of them: that one is IGNORED, the others still FAIL and count in the exit status.
      const one = run(['docker-running']);
      expect(one.stdout).toContain('Checking if Docker is running: IGNORED (FAIL; --ignore-check docker-running)');
      expect(splitFramedPreflight(one.stdout, one.stderr).preflight!.exitCode).toBe(failed.length - 1);
    });
  });

  test('arguments after the role other than one --ignore-check ID[,ID] are refused before anything runs', async (ctx) => {
    needSandbox(ctx);
    await withSandbox((sb) => {
      fs.writeFileSync(sb.hostPath('/tmp/preflight.in'), stdinFor(IP_OK));
      for (const extra of ['--ignore-check', "--ignore-check ''", '--ignore-check a b', '--disable-preflight x']) {
        const r = outcome(sb.sh(`cat /tmp/preflight.in | bash -s -- ${STAGING} slave ${extra}`));
        expect(r.exitCode, extra).toBe(70);
        expect(r.stdout, extra).toBe('');
        expect(r.stderr, extra).toContain('genconf preflight: expected STAGING ROLE [--ignore-check ID[,ID]]');
        expect(fs.existsSync(sb.hostPath(STAGING)), extra).toBe(false);
      }
    });
  });

  test('stopped by a hang-up or TERM (sshd going away), it still removes its directory', async (ctx) => {
    needSandbox(ctx);
    await withSandbox((sb) => {
      fs.writeFileSync(sb.hostPath('/tmp/preflight.in'), stdinFor('#!/bin/sh\nsleep 1\necho 10.0.0.4\n'));
      for (const sig of ['HUP', 'TERM']) {
        const r = sb.sh(
          `cat /tmp/preflight.in | bash -s -- ${STAGING} master & p=$!\n` +
            // $! is the pipeline's last process: bash. Signal it while ip-detect sleeps.
            `for _ in $(seq 50); do [ -n "$(ls -A ${STAGING} 2>/dev/null)" ] && break; sleep 0.05; done\n` +
            `kill -${sig} "$p"; wait "$p"; echo "status=$?"; ls -A ${STAGING} 2>/dev/null | wc -l`,
        );
        expect(r.stdout).toMatch(new RegExp(`status=${sig === 'HUP' ? 129 : 143}\\n0\\n$`));
      }
    });
  });
});
