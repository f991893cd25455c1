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
import { judgeFramedPreflight, splitFramedPreflight } from '../../src/stages/judge.js';
import type { CommandOutcome } from '../../src/stages/types.js';
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
