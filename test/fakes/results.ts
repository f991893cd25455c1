/** A finished run with one host of every status, for report tests. */
import type { HostResult, HostStatus, StageResult, StepResult } from '../../src/orchestrate/result.js';
import { clusterPlan } from './cluster.js';

function step(over: Partial<StepResult> & Pick<StepResult, 'id' | 'title'>): StepResult {
  return {
    kind: 'exec',
    cleanup: false,
    status: 'ok',
    exitCode: 0,
    durationMs: 10,
    stdoutTail: '',
    stderrTail: '',
    ...over,
  };
}

export function mixedResult(): StageResult {
  const plan = clusterPlan({
    agent_list: JSON.stringify(['10.0.0.4', '10.0.0.6']),
    public_agent_list: JSON.stringify(['10.0.0.5', '10.0.0.7']),
  });
  const byAddr = (a: string) => plan.hosts.find((h) => h.address === a)!;
  const base = (address: string, status: HostStatus, durationMs: number): HostResult => ({
    host: byAddr(address),
    status,
    steps: [],
    checks: [],
    facts: {},
    durationMs,
  });
  const failing = step({
    id: 'install',
    title: 'Install DC/OS as master',
    status: 'failed',
    exitCode: 1,
    stdoutTail: 'Starting DC/OS Install Process\nRunning preflight checks\n\x1b[1;31mFAIL\x1b[0m something\n',
    stderrTail: 'Preflight checks failed. Exiting installation.\n',
    message: 'exited 1',
  });
  const hosts: HostResult[] = [
    { ...base('10.0.0.1', 'ok', 12_345), steps: [step({ id: 'install', title: 'Install DC/OS as master' })] },
    {
      ...base('10.0.0.2', 'failed', 3_210),
      steps: [failing],
      failedStep: 'Install DC/OS as master',
      failedStepId: 'install',
      reason: 'exited 1',
    },
    {
      ...base('10.0.0.3', 'timed-out', 120_500),
      failedStep: 'Install DC/OS as master',
      failedStepId: 'install',
      reason: '10.0.0.3:22: "Install DC/OS as master" timed out after 120 s (raise process_timeout in config.yaml)',
      steps: [step({ id: 'install', title: 'Install DC/OS as master', status: 'timed-out', exitCode: null })],
    },
    { ...base('10.0.0.4', 'unreachable', 10_002), reason: 'connect ECONNREFUSED 10.0.0.4:22' },
    {
      ...base('10.0.0.6', 'skipped', 0),
      reason: 'not started: master 10.0.0.2:22 failed (--continue-on-master-failure deploys agents anyway)',
    },
    {
      ...base('10.0.0.5', 'interrupted', 800),
      failedStep: 'Copy dcos-install.tar',
      failedStepId: 'put-bundle',
      reason: 'interrupted during "Copy dcos-install.tar"',
    },
    {
      ...base('10.0.0.7', 'failed', 900),
      failedStep: 'Run the preflight checks',
      failedStepId: 'preflight',
      reason: 'ip-detect printed 10.0.0.1, but config.yaml lists this host as 10.0.0.7',
      steps: [
        step({
          id: 'preflight',
          title: 'Run the preflight checks',
          status: 'failed',
          stdoutTail:
            '@@genconf ip-detect exit=0\n10.0.0.1\n\n@@genconf ip-detect stderr\n\n@@genconf preflight\nPreflight summary: 0 FAIL, 0 WARN\n@@genconf preflight exit=0\n',
        }),
      ],
      checks: [
        { name: 'ip-detect', status: 'fail', detail: 'printed 10.0.0.1, listed 10.0.0.7' },
        { name: 'Checking if <x> & "y" installed', status: 'pass' },
      ],
    },
  ];
  return {
    runId: '20261125T090000Z-beef',
    stage: 'deploy',
    summaryName: 'install_dcos',
    startedAt: '2026-11-25T09:00:00.000Z',
    durationMs: 131_000,
    hosts,
    interrupted: false,
    timedOut: false,
  };
}
