import { describe, expect, it } from 'vitest';
import type { PlannedHost } from '../../src/derive/plan.js';
import { deploy, deployStage, deploySteps } from '../../src/stages/deploy.js';
import { postflight } from '../../src/stages/postflight.js';
import { duplicateAddresses, preflightSteps } from '../../src/stages/preflight.js';
import { installPrereqs, uninstall } from '../../src/stages/remote-script.js';
import type { ExecStep, Step } from '../../src/stages/types.js';
import { clusterPlan, FILES } from '../fakes/cluster.js';

const plan = clusterPlan();
const byRole = (role: PlannedHost['role']): PlannedHost => plan.hosts.find((h) => h.role === role)!;

function shape(steps: Step[]): Array<[string, string[] | string, boolean]> {
  return steps.map((s) => [
    s.id,
    s.kind === 'exec' ? s.argv : `${s.local} -> ${s.remote} ${s.mode?.toString(8)}`,
    s.cleanup === true,
  ]);
}

describe('preflight steps', () => {
  it.each([
    ['master', 'master'],
    ['agent', 'slave'],
    ['public_agent', 'slave_public'],
  ] as const)('check a %s as %s, not as a master, in one command under one sudo', (role, installRole) => {
    const host = byRole(role);
    const steps = preflightSteps(plan, host, FILES);
    expect(shape(steps)).toEqual([
      ['preflight', ['sudo', '-n', 'bash', '-s', '--', '/opt/dcos_install_tmp', installRole], false],
      ['cleanup', ['sudo', '-n', 'rm', '-rf', '--one-file-system', '/opt/dcos_install_tmp'], false],
    ]);
    expect((steps[0] as ExecStep).stdin).toEqual([
      { file: '/t/remote/preflight.sh' },
      { file: '/g/ip-detect', encoding: 'base64-line' },
      { file: '/g/serve/dcos_install.sh' },
    ]);
    // The script removes its own directory; the installer does only when the command was cut off.
    expect(steps[1]!.cleanup).toBe('after-abort');
  });

  it('limits every step by process_timeout', () => {
    const steps = preflightSteps(plan, byRole('master'), FILES);
    expect(steps.every((s) => s.timeout.ms === 120_000 && s.timeout.option === 'process_timeout in config.yaml')).toBe(
      true,
    );
  });

  it("judges ip-detect against the host's listed address and the checks, from the framed output", () => {
    const host = byRole('agent');
    const step = preflightSteps(plan, host, FILES)[0] as ExecStep;
    const out = (ip: string, checks: string, exit = 0): string =>
      `@@genconf ip-detect exit=0\n${ip}\n\n@@genconf ip-detect stderr\n\n@@genconf preflight\n${checks}@@genconf preflight exit=${exit}\n`;
    const good = step.judge!({ exitCode: 0, stdout: out('10.0.0.4', 'Checking A: PASS\n'), stderr: '' });
    expect(good).toEqual({
      ok: true,
      checks: [
        { name: 'ip-detect', status: 'pass', detail: '10.0.0.4' },
        { name: 'Checking A', status: 'pass' },
      ],
      facts: { detectedIp: '10.0.0.4' },
    });
    const bad = step.judge!({ exitCode: 0, stdout: out('10.0.0.9', 'Checking A: PASS\n'), stderr: '' });
    expect(bad.ok).toBe(false);
    expect(bad.message).toBe('ip-detect printed 10.0.0.9, but config.yaml lists this host as 10.0.0.4');
    const both = step.judge!({ exitCode: 1, stdout: out('10.0.0.9', 'Checking A: FAIL\n', 1), stderr: '' });
    expect(both.message).toBe(
      'ip-detect printed 10.0.0.9, but config.yaml lists this host as 10.0.0.4; 1 preflight check failed: Checking A',
    );
  });
});

describe('duplicate addresses across hosts', () => {
  it('fails both hosts that report the same address, each naming the other', () => {
    const failures = duplicateAddresses([
      { label: 'a:22', ok: true, facts: { detectedIp: '10.0.0.1' } },
      { label: 'b:22', ok: false, facts: { detectedIp: '10.0.0.1' } },
      { label: 'c:22', ok: true, facts: { detectedIp: '10.0.0.3' } },
      { label: 'd:22', ok: false, facts: {} },
    ]);
    expect([...failures.keys()].sort()).toEqual(['a:22', 'b:22']);
    expect(failures.get('a:22')!.message).toBe(
      'ip-detect printed 10.0.0.1 here and also on b:22: every host must report its own address',
    );
    expect(failures.get('b:22')!.message).toContain('also on a:22');
  });
});

describe('deploy steps', () => {
  it("sends the bundle once, verifies it on the node, unpacks it and installs with the host's role", () => {
    expect(shape(deploySteps(plan, byRole('public_agent'), FILES))).toEqual([
      ['mkdir-staging', ['sudo', '-n', 'install', '-d', '-o', 'centos', '-m', '0755', '/opt/dcos_install_tmp'], false],
      ['put-bundle', '/g/serve/dcos-install.tar -> /opt/dcos_install_tmp/dcos-install.tar 644', false],
      ['verify-bundle', ['sha256sum', '/opt/dcos_install_tmp/dcos-install.tar'], false],
      ['unpack-bundle', ['tar', '-xf', '/opt/dcos_install_tmp/dcos-install.tar', '-C', '/opt/dcos_install_tmp'], false],
      ['install', ['sudo', '-n', 'bash', '/opt/dcos_install_tmp/dcos_install.sh', 'slave_public'], false],
      ['cleanup', ['sudo', '-n', 'rm', '-rf', '--one-file-system', '/opt/dcos_install_tmp'], true],
    ]);
  });

  it('fails the checksum step on a mismatch, saying what arrived and what was expected', () => {
    const step = deploySteps(plan, byRole('master'), FILES).find((s) => s.id === 'verify-bundle') as ExecStep;
    expect(
      step.judge!({ exitCode: 0, stdout: `${'ab'.repeat(32)}  /opt/dcos_install_tmp/dcos-install.tar\n`, stderr: '' })
        .ok,
    ).toBe(true);
    const bad = step.judge!({
      exitCode: 0,
      stdout: `${'cd'.repeat(32)}  /opt/dcos_install_tmp/dcos-install.tar\n`,
      stderr: '',
    });
    expect(bad.ok).toBe(false);
    expect(bad.message).toContain(`arrived with SHA-256 ${'cd'.repeat(32)}, expected ${'ab'.repeat(32)}`);
  });

  it('runs masters in a phase before agents and public agents, gated on the masters', () => {
    expect(deploy.waves.map((p) => [p.name, p.hosts(plan).map((h) => h.address)])).toEqual([
      ['masters', ['10.0.0.1', '10.0.0.2', '10.0.0.3']],
      ['agents', ['10.0.0.4', '10.0.0.5']],
    ]);
    const gate = deploy.waves[1]!.gate!;
    expect(gate({ failedLabels: new Set(), plan })).toBeUndefined();
    expect(gate({ failedLabels: new Set(['10.0.0.2:22']), plan })).toMatch(
      /master 10\.0\.0\.2:22 failed.*--continue-on-master-failure/,
    );
    // --continue-on-master-failure is the stage's own option: its gate closes over it.
    const anyway = deployStage({ continueOnMasterFailure: true }).waves[1]!.gate!;
    expect(anyway({ failedLabels: new Set(['10.0.0.2:22']), plan })).toBeUndefined();
  });
});

describe('postflight steps', () => {
  it('loops the node check on every host and the cluster check on the first master only, with --postflight-timeout', () => {
    const p = clusterPlan({}, { postflightTimeoutSec: 60 });
    const [node, cluster] = postflight.waves;
    expect(node!.hosts(p)).toHaveLength(5);
    expect(cluster!.hosts(p).map((h) => h.address)).toEqual(['10.0.0.1']);
    const step = node!.steps(p, p.hosts[3]!, {})[0] as ExecStep;
    expect(step.argv.slice(0, 2)).toEqual(['bash', '-c']);
    expect(step.argv.slice(3)).toEqual(['dcos-postflight', '60', 'node-poststart']);
    expect(step.timeout.option).toBe('--postflight-timeout');
    expect(step.timeout.ms).toBeGreaterThan(60_000);
    expect((cluster!.steps(p, p.hosts[0]!, {})[0] as ExecStep).argv.at(-1)).toBe('cluster');
  });

  it('skips the cluster check when the first master is not part of the run', () => {
    const p = clusterPlan({}, { only: ['10.0.0.2', '10.0.0.4'] });
    expect(postflight.waves[1]!.hosts(p)).toEqual([]);
  });
});

describe('uninstall and install-prereqs steps', () => {
  it('pipe their remote script to sudo bash -s', () => {
    const u = uninstall.waves[0]!.steps(plan, byRole('master'), FILES) as ExecStep[];
    expect(u.map((s) => [s.argv, s.stdin])).toEqual([
      [['sudo', '-n', 'bash', '-s'], [{ file: '/t/remote/uninstall.sh' }]],
    ]);
    const p = installPrereqs.waves[0]!.steps(plan, byRole('agent'), FILES) as ExecStep[];
    expect(p.map((s) => [s.argv, s.stdin])).toEqual([
      [['sudo', '-n', 'bash', '-s'], [{ file: '/t/remote/install-prereqs.sh' }]],
    ]);
  });
});
