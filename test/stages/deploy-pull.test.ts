/**
 * `--deploy --pull` as steps: one command per host under one sudo (templates/remote/pull-install.sh on stdin), and
 * its judge, which reads the script's frame lines and words each failure as the step it replaces would have.
 */
import { describe, expect, it } from 'vitest';
import type { PlannedHost } from '../../src/derive/plan.js';
import { deployPull, deploySteps, judgePull, pullDeploySteps } from '../../src/stages/deploy.js';
import { INSTALLED_PROBE } from '../../src/stages/installed.js';
import { bindWaves, type ExecStep } from '../../src/stages/types.js';
import { clusterPlan, FILES } from '../fakes/cluster.js';

const SHA = 'cd'.repeat(32);
const BASE = 'http://10.0.0.5:8080';
const plan = clusterPlan();
const PULL = { ...FILES, pullUrl: BASE, installScriptSha256: SHA, pullScript: '/t/remote/pull-install.sh' };
plan.files = PULL;
const byRole = (role: PlannedHost['role']): PlannedHost => plan.hosts.find((h) => h.role === role)!;
const judge = (stdout: string, exitCode: number | null = 0, stderr = '') =>
  judgePull(BASE, SHA, { exitCode, stdout, stderr });

describe('pull deploy steps', () => {
  it.each([
    ['master', 'master'],
    ['agent', 'slave'],
    ['public_agent', 'slave_public'],
  ] as const)('a %s pulls and installs as %s in one command under one sudo', (role, installRole) => {
    const steps = pullDeploySteps(plan, byRole(role), PULL);
    expect(steps.map((s) => [s.id, s.kind === 'exec' ? s.argv : s.remote, s.cleanup ?? false])).toEqual([
      ['install', ['sudo', '-n', 'bash', '-s', '--', '/opt/dcos_install_tmp', installRole, BASE, SHA], false],
      ['cleanup', ['sudo', '-n', 'rm', '-rf', '--one-file-system', '/opt/dcos_install_tmp'], 'after-abort'],
    ]);
    expect((steps[0] as ExecStep).stdin).toEqual([{ file: '/t/remote/pull-install.sh' }]);
    expect(steps.every((s) => s.timeout.option === 'process_timeout in config.yaml')).toBe(true);
  });

  it('looks first, as the push does, when the bundle has a config_id: read-only, as the SSH user, no sudo', () => {
    const withId = { ...PULL, bundleConfigId: 'c0ffee' };
    for (const role of ['master', 'agent', 'public_agent'] as const) {
      const pull = pullDeploySteps(plan, byRole(role), withId);
      const push = deploySteps(plan, byRole(role), withId);
      expect(pull.map((s) => s.id)).toEqual(['check-installed', 'install', 'cleanup']);
      const [look, pushLook] = [pull[0] as ExecStep, push[0] as ExecStep];
      expect(look.argv).toEqual(['sh', '-c', INSTALLED_PROBE]);
      // The very step the push runs (same probe, title and timeout), so the verdicts and messages are the same.
      expect({ ...look, judge: undefined }).toEqual({ ...pushLook, judge: undefined });
      const other = {
        exitCode: 0,
        stdout: 'roles=master \nconfig=/opt/mesosphere/packages/dcos-config--setup_0123\nopt=yes\nunits=yes\n',
        stderr: '',
      };
      expect(look.judge!(other)).toEqual(pushLook.judge!(other));
    }
  });

  it('keeps the push stage: masters first, agents only after every master succeeded', () => {
    expect(deployPull.name).toBe('deploy');
    expect(deployPull.summaryName).toBe('install_dcos');
    expect(deployPull.waves.map((p) => p.name)).toEqual(['masters', 'agents']);
    expect(
      deployPull.waves[1]!.gate!({
        failedLabels: new Set([byRole('master').label]),
        plan,
      }),
    ).toMatch(/^not started: master /);
  });

  it('refuses to plan without the pull URL, the checksum or the script', () => {
    const bare = clusterPlan();
    // Checked once for the whole stage, before any host: the steps receive them typed, never undefined.
    expect(() => bindWaves(deployPull, bare.files)).toThrow(
      /stage deploy is missing its inputs: pullUrl, installScriptSha256, pullScript/,
    );
    expect(bindWaves(deployPull, PULL).map((w) => w.steps(plan, byRole('agent')).map((s) => s.id))).toEqual([
      ['install', 'cleanup'],
      ['install', 'cleanup'],
    ]);
  });
});

describe('judgePull', () => {
  const ok = `@@genconf pull sha256 ${SHA}\nStarting DC/OS Install Process\n@@genconf pull install exit=0\n`;

  it('passes a checked script whose install exited 0', () => {
    expect(judge(ok)).toEqual({ ok: true });
  });

  it('an install that fails reads as the push: exited N', () => {
    expect(judge(`@@genconf pull sha256 ${SHA}\nPreflight checks failed\n@@genconf pull install exit=3\n`, 3)).toEqual({
      ok: false,
      message: 'exited 3',
    });
  });

  it('finds the exit frame after output that did not end its last line', () => {
    expect(judge(`@@genconf pull sha256 ${SHA}\nno newline@@genconf pull install exit=0\n`)).toEqual({ ok: true });
  });

  it('names the URL and curl error when dcos_install.sh could not be downloaded', () => {
    expect(judge('@@genconf pull fetch exit=22\n', 22, 'curl: (22) The requested URL returned error: 404\n')).toEqual({
      ok: false,
      message: `could not download ${BASE}/dcos_install.sh (curl exit 22: curl: (22) The requested URL returned error: 404)`,
    });
  });

  it('refuses a script that is not this bundle’s, naming both SHA-256s', () => {
    const v = judge(`@@genconf pull sha256 ${'ef'.repeat(32)}\n`, 65);
    expect(v.ok).toBe(false);
    expect(v.message).toBe(
      `dcos_install.sh from ${BASE} arrived with SHA-256 ${'ef'.repeat(32)}, expected ${SHA}: the server does not serve this genconf/serve (run --genconf and serve it again)`,
    );
  });

  it('says when the command never started (sudo refused), with its last words', () => {
    expect(judge('', 1, 'sudo: a password is required\n')).toEqual({
      ok: false,
      message: 'the pull could not start (exit 1): sudo: a password is required',
    });
  });

  it('says when the install ended without a status', () => {
    expect(judge(`@@genconf pull sha256 ${SHA}\nInstalling\n`, 143)).toEqual({
      ok: false,
      message: 'the install ended without a status (exit 143)',
    });
  });
});
