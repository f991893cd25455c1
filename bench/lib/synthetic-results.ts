/**
 * A finished preflight on N hosts, made up (no SSH), for the report bench (`--only=report`) and the report tests at
 * 10,000 hosts. Deterministic: host i gets the same fate in every call. Most hosts pass with the preflight's real
 * output; a few fail in a handful of identical ways (the grouping's case), some are unreachable, and text with XML's
 * special characters and a control character appears in the failures (the JUnit escaping's case).
 */
import type { PlannedHost } from '../../src/derive/plan.js';
import type { HostResult, HostStatus, StageResult, StepResult } from '../../src/orchestrate/result.js';
import type { CheckResult } from '../../src/stages/types.js';

/** 10.a.b.c for host i (i < 16,581,375). */
export function syntheticAddress(i: number): string {
  return `10.${Math.floor(i / 65025) % 255}.${Math.floor(i / 255) % 255}.${(i % 255) + 1}`;
}

const PASSING_OUTPUT = [
  'Checking if docker is installed and in PATH: PASS (Docker version 17.05.0-ce)',
  'Checking if ipset is installed and in PATH: PASS',
  'Checking if the clock is synchronized: PASS',
  'Preflight summary: 0 FAIL, 0 WARN',
].join('\n');

function step(over: Partial<StepResult> & Pick<StepResult, 'status'>): StepResult {
  return {
    id: 'preflight',
    title: 'Run the preflight checks',
    kind: 'exec',
    cleanup: false,
    exitCode: over.status === 'ok' ? 0 : 1,
    durationMs: 1200,
    stdoutTail: PASSING_OUTPUT,
    stderrTail: '',
    ...over,
  };
}

/** What happens to host i: every 50th fails one of three ways, every 400th is unreachable, the rest pass. */
export function fateOf(i: number): HostStatus {
  if (i % 400 === 399) return 'unreachable';
  if (i % 50 === 49) return 'failed';
  return 'ok';
}

const FAILURES: ReadonlyArray<{ checks: CheckResult[]; stdout: string }> = [
  {
    checks: [{ name: 'Checking if docker is running', status: 'fail', detail: 'Docker is not running' }],
    stdout: 'Checking if docker is running: FAIL (Docker is not running)\nPreflight summary: 1 FAIL, 0 WARN',
  },
  {
    checks: [{ name: 'Checking if ipset is installed and in PATH', status: 'fail', detail: 'not found' }],
    stdout: 'Checking if ipset is installed and in PATH: FAIL (not found)\nPreflight summary: 1 FAIL, 0 WARN',
  },
  {
    checks: [
      {
        name: 'Checking if /opt/mesosphere is empty',
        status: 'fail',
        detail: 'found <dcos.target> & "pkginfo" \u0007leftovers',
      },
    ],
    stdout: 'Checking if /opt/mesosphere is empty: FAIL (found <dcos.target> & "pkginfo" \u0007leftovers)',
  },
];

export function syntheticHost(i: number, masters = 3): PlannedHost {
  const address = syntheticAddress(i);
  const role = i < masters ? 'master' : i % 10 === 9 ? 'public_agent' : 'agent';
  return {
    address,
    port: 22,
    user: 'centos',
    label: `${address}:22`,
    role,
    installRole: role === 'master' ? 'master' : role === 'agent' ? 'slave' : 'slave_public',
    index: i,
  };
}

export function syntheticHostResult(i: number): HostResult {
  const host = syntheticHost(i);
  const status = fateOf(i);
  if (status === 'unreachable') {
    return {
      host,
      status,
      reason: `connect ETIMEDOUT ${host.address}:22`,
      steps: [],
      checks: [],
      facts: {},
      durationMs: 10_000,
    };
  }
  if (status === 'failed') {
    const f = FAILURES[Math.floor(i / 50) % FAILURES.length]!;
    return {
      host,
      status,
      failedStep: 'Run the preflight checks',
      failedStepId: 'preflight',
      reason: `${host.label}: ${f.checks.length} check failed`,
      steps: [step({ status: 'failed', stdoutTail: f.stdout })],
      checks: f.checks,
      facts: { ip: host.address },
      durationMs: 1500,
    };
  }
  return {
    host,
    status,
    steps: [step({ status: 'ok' })],
    checks: [
      { name: 'Checking if docker is installed and in PATH', status: 'pass' },
      { name: 'Checking if ipset is installed and in PATH', status: 'pass' },
    ],
    facts: { ip: host.address },
    durationMs: 1200 + (i % 7),
  };
}

export function syntheticRun(n: number): StageResult {
  const hosts: HostResult[] = [];
  for (let i = 0; i < n; i++) hosts.push(syntheticHostResult(i));
  return {
    runId: '20261202T090000Z-5ca1',
    stage: 'preflight',
    summaryName: 'run_preflight',
    startedAt: '2026-12-02T09:00:00.000Z',
    durationMs: 600_000,
    hosts,
    interrupted: false,
    timedOut: false,
  };
}

/** How many hosts of a synthetic run of n have each status. */
export function syntheticCounts(n: number): Record<'ok' | 'failed' | 'unreachable', number> {
  const counts = { ok: 0, failed: 0, unreachable: 0 };
  for (let i = 0; i < n; i++) counts[fateOf(i) as keyof typeof counts]++;
  return counts;
}
