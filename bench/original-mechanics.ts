/**
 * The original installer's SSH mechanics, for comparison: every step is one local /usr/bin/ssh or
 * /usr/bin/scp process with the original's options, `-tt` for ssh, env TERM=linux only, no connection reuse, and a
 * window of `parallelism` hosts (20 in the original) each holding its slot for all of its chains.
 *
 * The original attached a pty to stdin; none of its commands read stdin, so here stdin is /dev/null (with -tt the
 * remote side still gets a pty, as in the original).
 *
 * usage: node dist/bench/original-mechanics.js PLAN.json      (exit 0 when every host's chains all succeeded)
 */
import { spawn } from 'node:child_process';
import { pool, readPlan, withRole, type OriginalPlan, type OriginalStep, type PlanHost } from './lib/plan.js';

const COMMON_OPTIONS: readonly string[] = [
  '-oConnectTimeout=10',
  '-oStrictHostKeyChecking=no',
  '-oUserKnownHostsFile=/dev/null',
  '-oBatchMode=yes',
  '-oPasswordAuthentication=no',
];

export function stepArgv(plan: OriginalPlan, host: PlanHost, step: OriginalStep): [string, string[]] {
  if (step.kind === 'ssh') {
    return [
      '/usr/bin/ssh',
      [
        ...COMMON_OPTIONS,
        `-p${host.port}`,
        '-i',
        plan.keyPath,
        '-tt',
        `${plan.user}@${host.address}`,
        withRole(step.command, host),
      ],
    ];
  }
  return [
    '/usr/bin/scp',
    [
      ...COMMON_OPTIONS,
      `-P${host.port}`,
      '-i',
      plan.keyPath,
      step.local,
      `${plan.user}@${host.address}:${step.remote}`,
    ],
  ];
}

interface StepResult {
  code: number | null;
  output: string;
}

function runStep(file: string, args: string[]): Promise<StepResult> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { env: { TERM: 'linux' }, stdio: ['ignore', 'pipe', 'pipe'] });
    // The original kept every line of output; keeping it here keeps that work on the client's side of the scale.
    const chunks: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.stderr.on('data', (d: Buffer) => chunks.push(d));
    child.on('error', (err) => resolve({ code: null, output: String(err) }));
    child.on('close', (code) => resolve({ code, output: Buffer.concat(chunks).toString('utf8') }));
  });
}

async function runHost(plan: OriginalPlan, host: PlanHost): Promise<{ host: string; ok: boolean; failed?: string }> {
  let ok = true;
  let failed: string | undefined;
  for (const chain of plan.chains) {
    for (const step of chain) {
      const [file, args] = stepArgv(plan, host, step);
      const r = await runStep(file, args);
      if (r.code !== 0) {
        ok = false;
        failed ??= `${file} ${args.at(-1)} → ${r.code}: ${r.output.trim().split('\n').slice(-3).join(' / ')}`;
        break;
      }
    }
  }
  return { host: host.address, ok, failed };
}

async function main(): Promise<number> {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: original-mechanics.js PLAN.json\n');
    return 2;
  }
  const plan = readPlan<OriginalPlan>(file);
  const results = await pool(plan.hosts, plan.parallelism, (h) => runHost(plan, h));
  const failed = results.filter((r) => !r.ok);
  for (const f of failed.slice(0, 5)) process.stderr.write(`FAIL ${f.host}: ${f.failed}\n`);
  process.stdout.write(`${results.length - failed.length} of ${results.length} hosts ok\n`);
  return failed.length === 0 ? 0 : 1;
}

process.exitCode = await main();
