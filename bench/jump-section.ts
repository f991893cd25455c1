/**
 * `npm run bench -- --only=jump`: `genconf --preflight` on N lab hosts reached through one bastion (ProxyJump in an
 * ssh_config), against the same N hosts reached directly (`--ssh-config none`), interleaved in one run. The bastion
 * is one more lab host; its sshd log counts the connections genconf opened to it (the pool: one per 8 hosts in
 * flight). Goal: the jump costs at most 1.3× the direct run.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Lab } from '../test/lab/harness/index.js';
import type { BastionComparison } from './lib/results.js';
import { sampleSides } from './lib/sampler.js';
import { buildBundle, writeGenconfDir } from './lib/workspace.js';

export interface JumpBenchOptions {
  hosts: number;
  runs: number;
  warmup: number;
  parallelism: number;
  cli: string;
  log: (line: string) => void;
}

async function logins(lab: Lab, i: number): Promise<number> {
  const r = await lab.exec(i, 'grep -c "Accepted publickey" /etc/genconf-lab/sshd/sshd.log || true');
  return Number(r.stdout.trim() || '0');
}

/** `lab` has hosts.length ≥ o.hosts + 1: host 1 is the bastion, hosts 2.. the cluster. */
export async function jumpSection(
  o: JumpBenchOptions,
  lab: Lab,
  work: string,
  artifacts: string,
): Promise<BastionComparison> {
  const bastion = lab.hosts[0]!;
  const cluster = lab.hosts.slice(1, o.hosts + 1);
  const genconf = await writeGenconfDir(work, {
    hosts: cluster,
    user: lab.sudoUser,
    keyFile: lab.keys.ed25519,
    knownHostsFile: lab.knownHostsFile,
    parallelism: o.parallelism,
  });
  o.log(`jump: building the bundle with genconf --genconf (not measured)`);
  buildBundle(o.cli, work, genconf, artifacts);
  const sshConfig = path.join(work, 'jump_ssh_config');
  await writeFile(
    sshConfig,
    [`Host * !${bastion.address}`, `  ProxyJump ${lab.sudoUser}@${bastion.address}:${bastion.port}`, ''].join('\n'),
  );
  const argv = (cfg: string): string[] => [
    process.execPath,
    o.cli,
    '--preflight',
    '--genconf-dir',
    genconf,
    '--host-key-checking',
    'strict',
    '--no-color',
    '--ssh-config',
    cfg,
  ];
  const before = await logins(lab, 1);
  const sides = await sampleSides(
    [
      { side: 'ours', argv: argv(sshConfig), cwd: work },
      { side: 'floor', argv: argv('none'), cwd: work },
    ],
    { warmup: o.warmup, runs: o.runs, timeoutMs: 30 * 60_000, log: o.log, label: `jump n=${o.hosts}` },
  );
  const jumpRuns = o.warmup + o.runs;
  const perRun = ((await logins(lab, 1)) - before) / jumpRuns;
  const jump = sides.ours;
  const direct = sides.floor;
  const ratio =
    jump && 'summary' in jump && direct && 'summary' in direct
      ? jump.summary.wallMs.median / direct.summary.wallMs.median
      : null;
  return {
    hosts: o.hosts,
    parallelism: o.parallelism,
    ...(jump ? { jump } : {}),
    ...(direct ? { direct } : {}),
    ratio,
    bastionConnectionsPerRun: perRun,
  };
}
