/** A genconf directory with a (fake) deployed bundle and a cluster record, for the day-2 command tests. */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { parseArgs } from '../../src/cli/args.js';
import type { CommandContext } from '../../src/cli/context.js';
import { writeRecord, type ClusterRecord } from '../../src/cluster/record.js';
import type { FakeResponse, FakeTransport } from '../fakes/fake-transport.js';

export const CONFIG_ID = 'c0ffee';
const TAR_CONTENT = 'a tarball\n';
/** SHA-256 of the fake serve/dcos-install.tar. */
export const SHA = createHash('sha256').update(TAR_CONTENT).digest('hex');

export const CONFIG = `cluster_name: unit
bootstrap_url: file:///opt/dcos_install_tmp
exhibitor_storage_backend: static
master_discovery: static
master_list: [10.0.0.1]
agent_list: [10.0.0.4, 10.0.0.5]
public_agent_list: [10.0.0.6]
resolvers: [8.8.8.8]
ssh_user: centos
ssh_key_path: genconf/ssh_key
`;

export interface Fixture {
  work: string;
  genconf: string;
  cleanup(): Promise<void>;
  cli(
    run: (ctx: CommandContext) => Promise<number>,
    argv: string[],
    opts?: { interactive?: boolean; env?: NodeJS.ProcessEnv },
  ): Promise<{ code: number; stdout: string; stderr: string }>;
}

export function packageInfo(configId: string): string {
  return JSON.stringify({
    'dcos-config': {
      filename: `packages/dcos-config/dcos-config--setup_${configId}.tar.xz`,
      id: `dcos-config--setup_${configId}`,
    },
  });
}

export async function makeFixture(config = CONFIG): Promise<Fixture> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'day2-'));
  const genconf = path.join(work, 'genconf');
  const serve = path.join(genconf, 'serve');
  await mkdir(serve, { recursive: true });
  await writeFile(path.join(genconf, 'config.yaml'), config);
  await writeFile(path.join(genconf, 'ip-detect'), '#!/bin/sh\necho 10.0.0.1\n', { mode: 0o755 });
  await writeFile(path.join(genconf, 'ssh_key'), 'not used: the transport is scripted\n', { mode: 0o600 });
  await writeFile(path.join(serve, 'dcos_install.sh'), '#!/bin/bash\necho install\n', { mode: 0o755 });
  await writeFile(path.join(serve, 'dcos-install.tar'), TAR_CONTENT);
  await writeFile(path.join(serve, 'cluster-package-info.json'), packageInfo(CONFIG_ID));
  return {
    work,
    genconf,
    cleanup: () => rm(work, { recursive: true, force: true }),
    async cli(run, argv, opts = {}) {
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      stdout.on('data', (c: Buffer) => out.push(c));
      stderr.on('data', (c: Buffer) => err.push(c));
      const options = parseArgs(['--genconf-dir', genconf, '--no-color', ...argv], work, {});
      const ctx: CommandContext = {
        options,
        signal: new AbortController().signal,
        stdout,
        stderr,
        interactive: opts.interactive ?? false,
      };
      const code = await run(ctx);
      return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
    },
  };
}

/** The record of a cluster installed with CONFIG_ID on the given hosts. */
export async function writeInstalled(
  genconf: string,
  installed: Array<[address: string, role: 'master' | 'agent' | 'public_agent', extra?: Record<string, unknown>]>,
): Promise<ClusterRecord> {
  const record: ClusterRecord = {
    format: 'dcos-genconf-cluster-record',
    version: 1,
    updatedAt: 't0',
    configId: CONFIG_ID,
    bundleSha256: SHA,
    hosts: {},
  };
  for (const [address, role, extra] of installed) {
    record.hosts[`${address}:22`] = {
      address,
      port: 22,
      role,
      stages: { deploy: { status: 'ok', runId: 'r0', finishedAt: 't0' } },
      installed: { configId: CONFIG_ID, bundleSha256: SHA, at: 't0' },
      ...extra,
    };
  }
  await writeRecord(genconf, record);
  return record;
}

const words = (s: string) => (c: string) => s.split(' ').every((w) => c.includes(w));

/** Script a new agent's preflight, deploy and postflight on the fake. */
export function scriptInstall(t: FakeTransport, host: string, opts: { faultDomain?: string } = {}): FakeTransport {
  const framed: FakeResponse = {
    exitCode: 0,
    stdout: `@@genconf ip-detect exit=0\n${host}\n\n@@genconf ip-detect stderr\n\n@@genconf preflight\nChecking if port 5051 is in use: PASS\n@@genconf preflight exit=0\n`,
  };
  t.onExec(words('bash -s -- /opt/dcos_install_tmp'), framed, host)
    .onExec(words('rm -rf --one-file-system /opt/dcos_install_tmp'), {}, host)
    .onExec(words('install -d -o centos'), {}, host)
    .onPut('/opt/dcos_install_tmp/dcos-install.tar', {}, host)
    .onExec(
      words('sha256sum /opt/dcos_install_tmp/dcos-install.tar'),
      (_c) => ({ stdout: `${SHA}  /opt/dcos_install_tmp/dcos-install.tar\n` }),
      host,
    )
    .onExec(words('tar -xf /opt/dcos_install_tmp/dcos-install.tar'), {}, host)
    .onExec(words('bash /opt/dcos_install_tmp/dcos_install.sh'), {}, host)
    .onExec(
      'dcos-diagnostics',
      { exitCode: 0, stdout: JSON.stringify({ status: 0, checks: { xz: { status: 0, output: '' } } }) },
      host,
    );
  if (opts.faultDomain !== undefined) t.onExec('fault-domain-detect', { exitCode: 0, stdout: opts.faultDomain }, host);
  return t;
}
