import { describe, expect, it } from 'vitest';
import type { PlannedHost } from '../../src/derive/plan.js';
import { deploy, deploySteps } from '../../src/stages/deploy.js';
import { postflight } from '../../src/stages/postflight.js';
import { duplicateAddresses, preflightSteps } from '../../src/stages/preflight.js';
import { installPrereqs, uninstall } from '../../src/stages/remote-script.js';
import type { ExecStep, Step } from '../../src/stages/types.js';
import { clusterPlan } from '../fakes/cluster.js';

const plan = clusterPlan();
const byRole = (role: PlannedHost['role']): PlannedHost => plan.hosts.find((h) => h.role === role)!;

function shape(steps: Step[]): Array<[string, string[] | string, boolean]> {
  return steps.map((s) => [s.id, s.kind === 'exec' ? s.argv : `${s.local} -> ${s.remote} ${s.mode?.toString(8)}`, s.cleanup === true]);
}

describe('preflight steps', () => {
  it.each([
    ['master', 'master'],
    ['agent', 'slave'],
    ['public_agent', 'slave_public'],
  ] as const)('check a %s as %s, not as a master', (role, installRole) => {
    const host = byRole(role);
    expect(shape(preflightSteps(plan, host))).toEqual([
      ['mkdir-staging', ['sudo', '-n', 'install', '-d', '-o', 'centos', '-m', '0755', '/opt/dcos_install_tmp'], false],
      ['put-install-script', '/g/serve/dcos_install.sh -> /opt/dcos_install_tmp/dcos_install.sh 755', false],
      ['put-ip-detect', '/g/ip-detect -> /opt/dcos_install_tmp/ip-detect 755', false],
      ['ip-detect', ['sudo', '-n', '/opt/dcos_install_tmp/ip-detect'], false],
      ['preflight-checks', ['sudo', '-n', 'bash', '/opt/dcos_install_tmp/dcos_install.sh', '--preflight-only', installRole], false],
      ['cleanup', ['sudo', '-n', 'rm', '-rf', '--one-file-system', '/opt/dcos_install_tmp'], true],
    ]);
  });

  it('gives the staging directory to the host\'s own user', () => {
    const p = clusterPlan({ ssh_host_overrides: JSON.stringify({ '10.0.0.4': { user: 'core' } }) });
    const steps = preflightSteps(p, p.hosts.find((h) => h.address === '10.0.0.4')!);
    expect((steps[0] as ExecStep).argv).toEqual(['sudo', '-n', 'install', '-d', '-o', 'core', '-m', '0755', '/opt/dcos_install_tmp']);
  });

  it('lets ip-detect fail without skipping the preflight checks, and limits every step by process_timeout', () => {
    const steps = preflightSteps(plan, byRole('master'));
    expect(steps.find((s) => s.id === 'ip-detect')?.continueOnFailure).toBe(true);
    expect(steps.every((s) => s.timeout.ms === 120_000 && s.timeout.option === 'process_timeout in config.yaml')).toBe(true);
  });

  it('judges ip-detect against the host\'s listed address', () => {
    const host = byRole('agent');
    const step = preflightSteps(plan, host).find((s) => s.id === 'ip-detect') as ExecStep;
    expect(step.judge!({ exitCode: 0, stdout: '10.0.0.4\n', stderr: '' }).ok).toBe(true);
    const bad = step.judge!({ exitCode: 0, stdout: '10.0.0.9\n', stderr: '' });
    expect(bad.ok).toBe(false);
    expect(bad.message).toBe('ip-detect printed 10.0.0.9, but config.yaml lists this host as 10.0.0.4');
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
    expect(failures.get('a:22')!.message).toBe('ip-detect printed 10.0.0.1 here and also on b:22: every host must report its own address');
    expect(failures.get('b:22')!.message).toContain('also on a:22');
  });
});

describe('deploy steps', () => {
  it('sends the bundle once, verifies it on the node, unpacks it and installs with the host\'s role', () => {
    expect(shape(deploySteps(plan, byRole('public_agent')))).toEqual([
      ['mkdir-staging', ['sudo', '-n', 'install', '-d', '-o', 'centos', '-m', '0755', '/opt/dcos_install_tmp'], false],
      ['put-bundle', '/g/serve/dcos-install.tar -> /opt/dcos_install_tmp/dcos-install.tar 644', false],
      ['verify-bundle', ['sha256sum', '/opt/dcos_install_tmp/dcos-install.tar'], false],
      ['unpack-bundle', ['tar', '-xf', '/opt/dcos_install_tmp/dcos-install.tar', '-C', '/opt/dcos_install_tmp'], false],
      ['install', ['sudo', '-n', 'bash', '/opt/dcos_install_tmp/dcos_install.sh', 'slave_public'], false],
      ['cleanup', ['sudo', '-n', 'rm', '-rf', '--one-file-system', '/opt/dcos_install_tmp'], true],
    ]);
  });

  it('fails the checksum step on a mismatch, saying what arrived and what was expected', () => {
    const step = deploySteps(plan, byRole('master')).find((s) => s.id === 'verify-bundle') as ExecStep;
    expect(step.judge!({ exitCode: 0, stdout: `${'ab'.repeat(32)}  /opt/dcos_install_tmp/dcos-install.tar\n`, stderr: '' }).ok).toBe(true);
    const bad = step.judge!({ exitCode: 0, stdout: `${'cd'.repeat(32)}  /opt/dcos_install_tmp/dcos-install.tar\n`, stderr: '' });
    expect(bad.ok).toBe(false);
    expect(bad.message).toContain(`arrived with SHA-256 ${'cd'.repeat(32)}, expected ${'ab'.repeat(32)}`);
  });

  it('runs masters in a phase before agents and public agents, gated on the masters', () => {
    expect(deploy.phases.map((p) => [p.name, p.hosts(plan).map((h) => h.address)])).toEqual([
      ['masters', ['10.0.0.1', '10.0.0.2', '10.0.0.3']],
      ['agents', ['10.0.0.4', '10.0.0.5']],
    ]);
    const gate = deploy.phases[1]!.gate!;
    expect(gate({ failedLabels: new Set(), plan, continueOnMasterFailure: false })).toBeUndefined();
    expect(gate({ failedLabels: new Set(['10.0.0.2:22']), plan, continueOnMasterFailure: false })).toMatch(/master 10\.0\.0\.2:22 failed.*--continue-on-master-failure/);
    expect(gate({ failedLabels: new Set(['10.0.0.2:22']), plan, continueOnMasterFailure: true })).toBeUndefined();
  });
});

describe('postflight steps', () => {
  it('loops the node check on every host and the cluster check on the first master only, with --postflight-timeout', () => {
    const p = clusterPlan({}, { postflightTimeoutSec: 60 });
    const [node, cluster] = postflight.phases;
    expect(node!.hosts(p)).toHaveLength(5);
    expect(cluster!.hosts(p).map((h) => h.address)).toEqual(['10.0.0.1']);
    const step = node!.steps(p, p.hosts[3]!)[0] as ExecStep;
    expect(step.argv.slice(0, 2)).toEqual(['bash', '-c']);
    expect(step.argv.slice(3)).toEqual(['dcos-postflight', '60', 'node-poststart']);
    expect(step.timeout.option).toBe('--postflight-timeout');
    expect(step.timeout.ms).toBeGreaterThan(60_000);
    expect((cluster!.steps(p, p.hosts[0]!)[0] as ExecStep).argv.at(-1)).toBe('cluster');
  });

  it('skips the cluster check when the first master is not part of the run', () => {
    const p = clusterPlan({}, { only: ['10.0.0.2', '10.0.0.4'] });
    expect(postflight.phases[1]!.hosts(p)).toEqual([]);
  });
});

describe('uninstall and install-prereqs steps', () => {
  it('pipe their remote script to sudo bash -s', () => {
    const u = uninstall.phases[0]!.steps(plan, byRole('master')) as ExecStep[];
    expect(u.map((s) => [s.argv, s.stdinFile])).toEqual([[['sudo', '-n', 'bash', '-s'], '/t/remote/uninstall.sh']]);
    const p = installPrereqs.phases[0]!.steps(plan, byRole('agent')) as ExecStep[];
    expect(p.map((s) => [s.argv, s.stdinFile])).toEqual([[['sudo', '-n', 'bash', '-s'], '/t/remote/install-prereqs.sh']]);
  });
});
