import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/args.js';
import type { CommandContext } from '../../src/cli/context.js';
import { runSshStage } from '../../src/commands/ssh-stage.js';
import { GenconfError, InputError, UsageError } from '../../src/errors.js';
import { FakeTransport } from '../fakes/fake-transport.js';

let work: string;
let genconf: string;

const CONFIG = `cluster_name: unit
bootstrap_url: file:///opt/dcos_install_tmp
exhibitor_storage_backend: static
master_discovery: static
master_list: [10.0.0.1]
agent_list: [10.0.0.4, 10.0.0.5]
resolvers: [8.8.8.8]
ssh_user: centos
ssh_key_path: genconf/ssh_key
`;

beforeEach(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'ssh-stage-'));
  genconf = path.join(work, 'genconf');
  await mkdir(genconf);
  await writeFile(path.join(genconf, 'config.yaml'), CONFIG);
  await writeFile(path.join(genconf, 'ip-detect'), '#!/bin/sh\necho 10.0.0.1\n', { mode: 0o755 });
  await writeFile(path.join(genconf, 'ssh_key'), 'not used: the transport is scripted\n', { mode: 0o600 });
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

async function cli(
  argv: string[],
  t: FakeTransport,
  interactive = false,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const options = parseArgs(['--genconf-dir', genconf, '--no-color', ...argv], work, {});
  const ctx: CommandContext = { options, signal: new AbortController().signal, stdout, stderr, interactive };
  const code = await runSshStage(ctx, { makeTransport: async () => t });
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

const diag = (status: number) => ({
  exitCode: status,
  stdout: JSON.stringify({ status, checks: { xz: { status, output: '' } } }),
});

describe('the SSH stage command', () => {
  it('an invalid config exits 1 and touches no host', async () => {
    await writeFile(
      path.join(genconf, 'config.yaml'),
      CONFIG.replace('ssh_user: centos', 'ssh_port: 70000\nssh_user: centos'),
    );
    const t = new FakeTransport();
    const r = await cli(['--postflight'], t);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ssh_port');
    expect(t.calls).toEqual([]);
  });

  it('an invalid config with --json: one NDJSON record on stdout, the human lines on stderr', async () => {
    await writeFile(
      path.join(genconf, 'config.yaml'),
      CONFIG.replace('ssh_user: centos', 'ssh_port: 70000\nssh_user: centos'),
    );
    const t = new FakeTransport();
    const r = await cli(['--preflight', '--json'], t);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const rec = JSON.parse(lines[0]!) as { v: number; type: string; valid: boolean; errors: Array<{ key: string }> };
    expect(rec).toMatchObject({ v: 1, type: 'config', stage: 'preflight', valid: false });
    expect(rec.errors.map((e) => e.key)).toEqual(['ssh_port']);
    expect(r.stderr).toContain('ssh_port: Must be between 1 and 65535 inclusive');
    expect(t.calls).toEqual([]);
  });

  it('--dry-run shows the SSH key it would use', async () => {
    const t = new FakeTransport();
    const r = await cli(['--postflight', '--dry-run'], t);
    expect(r.code).toBe(0);
    // The scripted key is not a real key: the path is shown with why there is no fingerprint.
    expect(r.stdout).toContain(`SSH key: ${path.join(genconf, 'ssh_key')} (fingerprint not shown: `);
    const j = await cli(['--postflight', '--dry-run', '--json'], t);
    expect((JSON.parse(j.stdout.trim()) as { sshKey: { path: string } }).sshKey.path).toBe(
      path.join(genconf, 'ssh_key'),
    );
    // A real key: its type and SHA256 fingerprint.
    const ssh2 = (await import('ssh2')).default;
    await writeFile(
      path.join(genconf, 'ssh_key'),
      (ssh2.utils.generateKeyPairSync('ed25519') as { private: string }).private,
      { mode: 0o600 },
    );
    const real = await cli(['--postflight', '--dry-run'], t);
    expect(real.stdout).toMatch(/^SSH key: .*genconf\/ssh_key \(ssh-ed25519 SHA256:[A-Za-z0-9+/]+=*\)$/m);
  });

  it('preflight without a built bundle says to run --genconf first', async () => {
    const t = new FakeTransport();
    const p = cli(['--preflight'], t);
    await expect(p).rejects.toThrowError(InputError);
    await expect(cli(['--preflight'], t)).rejects.toThrow(/dcos_install\.sh does not exist/);
    const e = (await cli(['--deploy'], t).catch((x: unknown) => x)) as GenconfError;
    expect(e.hint).toMatch(/run --genconf first/);
    expect(t.calls).toEqual([]);
  });

  it('uninstall without a terminal and without --yes is a usage error, before any connection', async () => {
    const t = new FakeTransport();
    await expect(cli(['--uninstall'], t)).rejects.toThrowError(UsageError);
    expect(t.calls).toEqual([]);
  });

  it('--dry-run prints every step per host and connects to nothing (uninstall needs no confirmation for it)', async () => {
    const t = new FakeTransport();
    const r = await cli(['--uninstall', '--dry-run'], t);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('[uninstall] dry run: nothing is touched. 3 hosts, 20 at a time.');
    expect(r.stdout).toMatch(
      /10\.0\.0\.5:22 \(agent, as centos\)\n {2}1\. {5}Stop and remove DC\/OS: sudo -n bash -s < .*templates\/remote\/uninstall\.sh/,
    );
    const j = await cli(['--postflight', '--dry-run', '--json'], t);
    const doc = JSON.parse(j.stdout) as { v: number; type: string; phases: Array<{ phase: string; hosts: unknown[] }> };
    expect([doc.v, doc.type, doc.phases.map((p) => [p.phase, p.hosts.length])]).toEqual([
      1,
      'plan',
      [
        ['node', 3],
        ['cluster', 1],
      ],
    ]);
    expect(t.calls).toEqual([]);
  });

  it('--hosts with an unknown address and --retry-failed without history are usage errors', async () => {
    const t = new FakeTransport();
    await expect(cli(['--postflight', '--hosts', '10.9.9.9'], t)).rejects.toThrow(/10\.9\.9\.9/);
    await expect(cli(['--postflight', '--retry-failed'], t)).rejects.toThrow(/no earlier --postflight run/);
  });

  it('--json puts versioned NDJSON on stdout and the human report on stderr; logs, state and JUnit are written', async () => {
    const t = new FakeTransport()
      .onExec('node-poststart', diag(0))
      .onExec('node-poststart', { exitCode: 1, stdout: 'garbage' }, '10.0.0.5')
      .onExec('dcos-postflight 900 cluster', diag(0));
    const junit = path.join(work, 'out.xml');
    const r = await cli(['--postflight', '--json', '--junit', junit], t);
    expect(r.code).toBe(3);
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { v: number; type: string; runId?: string });
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(['run', 'host', 'step', 'host_result', 'summary']));
    expect(r.stderr).toContain('2 out of 3 hosts successfully completed run_postflight stage.');
    expect(r.stdout).not.toContain('successfully completed run_postflight stage.\n');
    const runId = events[0]!.runId!;
    expect((await readdir(path.join(genconf, 'logs', runId))).sort()).toEqual([
      // No host wrote to stderr: each has its stdout log alone.
      ...['10.0.0.1:22', '10.0.0.4:22', '10.0.0.5:22'].map((h) => `${h}.stdout.log`),
      'summary.txt',
    ]);
    // The summary is also kept beside the logs (a dropped terminal or a closed stdout loses the printed one).
    const kept = await readFile(path.join(genconf, 'logs', runId, 'summary.txt'), 'utf8');
    expect(kept).toContain('2 out of 3 hosts successfully completed run_postflight stage.');
    expect((await stat(path.join(genconf, 'logs', runId, 'summary.txt'))).mode & 0o777).toBe(0o600);
    expect(await readFile(path.join(genconf, 'logs', runId, '10.0.0.5:22.stdout.log'), 'utf8')).toContain('garbage');
    expect(await readFile(junit, 'utf8')).toContain('<testsuite name="postflight" tests="3" failures="1"');

    // Only the failed host is retried.
    const t2 = new FakeTransport().onExec('node-poststart', diag(0));
    const retry = await cli(['--postflight', '--retry-failed'], t2);
    expect(retry.code).toBe(0);
    expect(t2.calls.filter((c) => c.kind === 'connect').map((c) => c.host)).toEqual(['10.0.0.5:22']);
    expect(retry.stdout).toContain('1 out of 1 hosts successfully completed run_postflight stage.');
    const again = await cli(['--postflight', '--retry-failed'], new FakeTransport());
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('nothing to retry');
  });
});
