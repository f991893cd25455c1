/**
 * What the stage benchmarks run against: an artifacts directory (the example set, or a synthetic one of ~20 MiB in
 * 50 packages with incompressible payloads), a genconf directory whose config.yaml lists the lab hosts, and the
 * bundle built from them by `genconf --genconf` (run as a process, not measured).
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cp, chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildExampleArtifacts, payloadDir } from '../../scripts/example-artifacts.js';

export interface BenchHost {
  address: string;
  port: number;
}

/** Roles as genconf assigns them from the lists below: 3 masters (1 under 3 hosts), one public agent from 5 hosts. */
export function assignRoles<T extends BenchHost>(
  hosts: readonly T[],
): { masters: T[]; agents: T[]; publicAgents: T[] } {
  const m = hosts.length >= 3 ? 3 : 1;
  const p = hosts.length >= 5 ? 1 : 0;
  return {
    masters: hosts.slice(0, m),
    agents: hosts.slice(m, hosts.length - p),
    publicAgents: hosts.slice(hosts.length - p),
  };
}

/** dcos_install.sh's role argument for each host, in list order. */
export function installRoles<T extends BenchHost>(
  hosts: readonly T[],
): { host: T; role: 'master' | 'slave' | 'slave_public' }[] {
  const r = assignRoles(hosts);
  return [
    ...r.masters.map((host) => ({ host, role: 'master' as const })),
    ...r.agents.map((host) => ({ host, role: 'slave' as const })),
    ...r.publicAgents.map((host) => ({ host, role: 'slave_public' as const })),
  ];
}

/**
 * Writes DIR as an artifacts set: the example packages (pkgpanda and friends, so dcos_install.sh really installs)
 * plus enough synthetic packages of random bytes to reach `packages` packages and about `totalBytes` bytes.
 * Random payloads do not compress, so the bundle is as big on the wire as on disk.
 */
export async function writeSyntheticArtifacts(dir: string, packages: number, totalBytes: number): Promise<void> {
  const payload = await mkdtemp(`${dir}.payload-`);
  try {
    const examples = (await readdir(payloadDir())).sort();
    for (const id of examples) await cp(path.join(payloadDir(), id), path.join(payload, id), { recursive: true });
    const extra = Math.max(0, packages - examples.length);
    const each = Math.ceil(totalBytes / Math.max(1, extra));
    for (let i = 1; i <= extra; i++) {
      const name = `bench-payload-${String(i).padStart(2, '0')}`;
      const root = path.join(payload, `${name}--1.0.0`);
      await mkdir(path.join(root, 'lib'), { recursive: true });
      await writeFile(
        path.join(root, 'pkginfo.json'),
        JSON.stringify({ requires: [], environment: {} }, null, 2) + '\n',
      );
      await writeFile(path.join(root, 'lib', `${name}.bin`), randomBytes(each));
    }
    const { contents } = await buildExampleArtifacts(payload);
    const tmp = await mkdtemp(`${dir}.tmp-`);
    for (const [rel, bytes] of contents) {
      await mkdir(path.join(tmp, path.dirname(rel)), { recursive: true });
      await writeFile(path.join(tmp, rel), bytes, { mode: 0o644 });
    }
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
  } finally {
    await rm(payload, { recursive: true, force: true });
  }
}

export const IP_DETECT =
  "#!/bin/sh\n# The lab host's own address, from the harness's identity file.\ncat /etc/genconf-lab/ip\n";

export interface GenconfDirOptions {
  hosts: readonly BenchHost[];
  user: string;
  keyFile: string;
  knownHostsFile: string;
  parallelism: number;
}

/** Writes WORK/genconf (config.yaml listing the hosts, the key, known_hosts, ip-detect). Returns its path. */
export async function writeGenconfDir(work: string, o: GenconfDirOptions): Promise<string> {
  const genconf = path.join(work, 'genconf');
  await mkdir(genconf, { recursive: true });
  await copyFile(o.keyFile, path.join(genconf, 'ssh_key'));
  await chmod(path.join(genconf, 'ssh_key'), 0o600);
  await copyFile(o.knownHostsFile, path.join(genconf, 'known_hosts'));
  await writeFile(path.join(genconf, 'ip-detect'), IP_DETECT, { mode: 0o755 });
  const r = assignRoles(o.hosts);
  const list = (hs: readonly BenchHost[]): string => `[${hs.map((h) => h.address).join(', ')}]`;
  const lines: Record<string, string> = {
    cluster_name: 'bench',
    bootstrap_url: 'file:///opt/dcos_install_tmp',
    exhibitor_storage_backend: 'static',
    master_discovery: 'static',
    master_list: list(r.masters),
    agent_list: list(r.agents),
    ...(r.publicAgents.length > 0 ? { public_agent_list: list(r.publicAgents) } : {}),
    resolvers: '[8.8.8.8]',
    ssh_user: o.user,
    ssh_port: String(o.hosts[0]?.port ?? 22),
    ssh_key_path: 'genconf/ssh_key',
    ssh_parallelism: String(o.parallelism),
    process_timeout: '600',
  };
  await writeFile(
    path.join(genconf, 'config.yaml'),
    Object.entries(lines)
      .map(([k, v]) => `${k}: ${v}\n`)
      .join(''),
  );
  return genconf;
}

/** Runs `genconf --genconf` once (not measured); throws with its output when it fails. */
export function buildBundle(cli: string, work: string, genconf: string, artifacts: string): void {
  const r = spawnSync(
    process.execPath,
    [cli, '--genconf', '--genconf-dir', genconf, '--artifacts', artifacts, '--no-color'],
    {
      cwd: work,
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    },
  );
  if (r.status !== 0)
    throw new Error(`genconf --genconf failed (exit ${r.status}): ${(r.stderr || r.stdout).slice(-2000)}`);
}

/** Unpacks the bundle tar into DIR: the original's mechanics copy these files one by one. */
export function unpackBundle(tarFile: string, dir: string): void {
  const r = spawnSync('tar', ['-xf', tarFile, '-C', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tar -xf ${tarFile} failed: ${r.stderr}`);
}

/**
 * The deploy benchmark measures orchestration: sending the bundle, checking it on the node and running the
 * installer. With the real dcos_install.sh the pkgpanda stand-in's unpacking of 20 MiB on every host (all hosts
 * share the client's CPUs) would dominate every side alike and hide the differences. This stand-in keeps the part
 * of the install that touches every byte that was sent, verifying every artifact against SHA256SUMS, and stops there.
 */
export const INSTALL_STAND_IN = `#!/bin/bash
# Benchmark stand-in for dcos_install.sh <role>: verifies every artifact of the bundle against SHA256SUMS, then exits.
set -euo pipefail
cd "$(dirname "$0")"
sha256sum --check --quiet --strict SHA256SUMS
echo "bench stand-in install for role \${1:?role}: every artifact verified"
`;

/** Rewrites TAR with dcos_install.sh replaced by INSTALL_STAND_IN (and its line in SHA256SUMS updated). */
export async function useInstallStandIn(tarFile: string): Promise<void> {
  const dir = await mkdtemp(`${tarFile}.stand-in-`);
  try {
    unpackBundle(tarFile, dir);
    await writeFile(path.join(dir, 'dcos_install.sh'), INSTALL_STAND_IN, { mode: 0o755 });
    const sum = createHash('sha256').update(INSTALL_STAND_IN).digest('hex');
    const sums = await readFile(path.join(dir, 'SHA256SUMS'), 'utf8');
    const updated = sums.replace(/^[0-9a-f]{64}( +\*?dcos_install\.sh)$/m, `${sum}$1`);
    if (updated === sums && !sums.includes(`${sum}  dcos_install.sh`))
      throw new Error('SHA256SUMS of the bundle does not list dcos_install.sh');
    await writeFile(path.join(dir, 'SHA256SUMS'), updated);
    const top = (await readdir(dir)).sort();
    const tmp = `${tarFile}.tmp-${process.pid}`;
    const r = spawnSync(
      'tar',
      ['-cf', tmp, '--sort=name', '--owner=0', '--group=0', '--numeric-owner', '-C', dir, ...top],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`tar -cf failed: ${r.stderr}`);
    await rename(tmp, tarFile);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
