/**
 * The run on a bad day, on real sshd hosts (the lab harness, a free block): a dropped terminal (SIGHUP sent to a real
 * `genconf --deploy` process), a stdout whose reader closed early, a host killed mid-upload, a flooding ip-detect.
 * Each run must end with its summary, its state and its logs, and the documented exit code. The tests run in order;
 * each leaves the hosts as the next one expects.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { writeExampleArtifacts } from '../../scripts/example-artifacts.js';
import { parseArgs } from '../../src/cli/args.js';
import type { CommandContext } from '../../src/cli/context.js';
import { run as runSshStage } from '../../src/commands/ssh-stage.js';
import { GenconfError } from '../../src/errors.js';
import { main } from '../../src/main.js';
import { describeLab } from './harness/gate.js';
import { startLab, type Lab } from './harness/index.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(REPO, 'dist/cli/main.js');
const LONG = 240_000;

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Escape an address for a RegExp. */
const re = (s: string): string => s.replace(/[.[\]]/g, (c) => `\\${c}`);

describeLab('a bad day on real sshd hosts', () => {
  let lab: Lab;
  let work: string;
  let genconf: string;
  const addr = (i: number): string => lab.hosts[i - 1]!.address;
  const onHost = (i: number, p: string): string => path.join(lab.hosts[i - 1]!.fsRoot, p);
  const baseArgs = (): string[] => ['--genconf-dir', genconf, '--host-key-checking', 'strict', '--no-color'];

  /** Run one SSH action in-process, as main() would, with stdout and stderr captured. */
  async function cli(argv: string[]): Promise<CliRun> {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    stdout.on('data', (c: Buffer) => out.push(c));
    stderr.on('data', (c: Buffer) => err.push(c));
    let code: number;
    try {
      const options = parseArgs([...baseArgs(), ...argv], work, { ...process.env, NO_COLOR: '1' });
      const ctx: CommandContext = { options, signal: new AbortController().signal, stdout, stderr, interactive: false };
      code = await runSshStage(ctx);
    } catch (e) {
      if (!(e instanceof GenconfError)) throw e;
      stderr.write(`error: ${e.message}\n`);
      code = e.exitCode;
    }
    return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
  }

  async function record(): Promise<{
    hosts: Record<string, { stages: Record<string, { status: string; runId: string }> }>;
  }> {
    return JSON.parse(await readFile(path.join(genconf, 'cluster.json'), 'utf8')) as {
      hosts: Record<string, { stages: Record<string, { status: string; runId: string }> }>;
    };
  }

  async function writeConfig(): Promise<void> {
    const lines = {
      cluster_name: 'hardening',
      bootstrap_url: 'file:///opt/dcos_install_tmp',
      exhibitor_storage_backend: 'static',
      master_discovery: 'static',
      master_list: `[${addr(1)}, ${addr(2)}, ${addr(3)}]`,
      agent_list: `[${addr(4)}]`,
      public_agent_list: `[${addr(5)}]`,
      resolvers: '[8.8.8.8]',
      ssh_user: lab.sudoUser,
      ssh_key_path: 'genconf/ssh_key',
      process_timeout: '120',
    };
    await writeFile(
      path.join(genconf, 'config.yaml'),
      Object.entries(lines)
        .map(([k, v]) => `${k}: ${v}\n`)
        .join(''),
    );
  }

  const IP_DETECT = '#!/bin/sh\ncat /etc/genconf-lab/ip\n';

  beforeAll(async () => {
    expect(existsSync(CLI), 'run `npm run build` first: the dropped-terminal test runs the built CLI').toBe(true);
    lab = await startLab({ count: 5, nodeStubs: true });
    work = await mkdtemp(path.join(os.tmpdir(), 'genconf-hardening-'));
    genconf = path.join(work, 'genconf');
    await writeExampleArtifacts(path.join(work, 'artifacts'));
    await mkdir(genconf, { recursive: true });
    await copyFile(lab.keys.ed25519, path.join(genconf, 'ssh_key'));
    await chmod(path.join(genconf, 'ssh_key'), 0o600);
    await copyFile(lab.knownHostsFile, path.join(genconf, 'known_hosts'));
    await writeFile(path.join(genconf, 'ip-detect'), IP_DETECT, { mode: 0o755 });
    await writeConfig();
    expect(await main(['--genconf', '--genconf-dir', genconf], work)).toBe(0);
  }, LONG);

  afterAll(async () => {
    await lab?.down();
    if (work) await rm(work, { recursive: true, force: true });
  }, LONG);

  it(
    'a host killed mid-upload is unreachable with "connection lost", not a stall',
    async () => {
      // Slowed, so the upload is still running when the kill lands; the kill takes the delay proxy down with it.
      await lab.slow(4, 40);
      const marker = onHost(4, 'opt/dcos_install_tmp/dcos-install.tar');
      let killed = false;
      const watcher = (async () => {
        for (let n = 0; n < 20_000 && !killed; n++) {
          if (existsSync(marker)) {
            await lab.kill(4);
            killed = true;
            return;
          }
          await new Promise((res) => setTimeout(res, 5));
        }
      })();
      try {
        const r = await cli(['--deploy', '--hosts', addr(4)]);
        await watcher;
        expect(killed).toBe(true);
        expect(r.stdout).toMatch(new RegExp(`${re(addr(4))}:22\\s+agent\\s+unreachable`));
        expect(r.stdout).toContain('connection lost');
        expect(r.stdout).not.toContain('made no progress');
        expect(r.stdout).toContain('0 out of 1 hosts successfully completed install_dcos stage.');
        expect(r.code).toBe(4);
      } finally {
        await lab.heal(4);
      }
      // Whatever the upload left behind: the next tests start from a clean host.
      expect((await cli(['--uninstall', '--yes', '--hosts', addr(4)])).code).toBe(0);
    },
    LONG,
  );

  it(
    'SIGHUP during --deploy (a dropped terminal): cleanups, summary, state; --retry-failed and a plain re-run finish the job',
    async () => {
      // Both agents' uploads are slowed so that the hang-up lands while they run (the masters are done by then):
      // neither agent has started its install, so the outcome does not depend on timing.
      await lab.slow(4, 40);
      await lab.slow(5, 40);
      const marker = onHost(4, 'opt/dcos_install_tmp/dcos-install.tar');
      const child = spawn(process.execPath, [CLI, '--deploy', ...baseArgs()], {
        cwd: work,
        env: { ...process.env, NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const exited = new Promise<{ code: number | null; signal: string | null }>((res) =>
        child.on('exit', (code, signal) => res({ code, signal })),
      );
      let hungUp = false;
      for (let n = 0; n < 40_000 && child.exitCode === null; n++) {
        if (existsSync(marker)) {
          hungUp = child.kill('SIGHUP');
          break;
        }
        await new Promise((res) => setTimeout(res, 5));
      }
      const end = await exited;
      await lab.heal(4);
      await lab.heal(5);
      expect(hungUp, `the agent's upload never started: ${stdout}${stderr}`).toBe(true);
      expect(end, stderr).toEqual({ code: 130, signal: null });
      expect(stderr).not.toContain('internal error');
      // The summary is printed and also kept in the run's log directory.
      expect(stdout).toContain('Interrupted: no new work was started');
      expect(stdout).toMatch(new RegExp(`${re(addr(4))}:22\\s+agent\\s+interrupted`));
      for (const i of [1, 2, 3]) expect(stdout).toMatch(new RegExp(`${re(addr(i))}:22\\s+master\\s+ok`));
      const runId = /summary \(run (\S+),/.exec(stdout)?.[1];
      expect(runId).toBeDefined();
      const summaryFile = await readFile(path.join(genconf, 'logs', runId!, 'summary.txt'), 'utf8');
      expect(summaryFile).toContain('Interrupted: no new work was started');
      // No partial upload is left on any host.
      for (let i = 1; i <= 5; i++) expect(existsSync(onHost(i, 'opt/dcos_install_tmp'))).toBe(false);
      // The state names this run for every host: the masters ok, the agent not.
      const rec = await record();
      for (const i of [1, 2, 3])
        expect(rec.hosts[`${addr(i)}:22`]!.stages.deploy).toMatchObject({ status: 'ok', runId });
      expect(rec.hosts[`${addr(4)}:22`]!.stages.deploy).toMatchObject({ status: 'interrupted', runId });

      // --retry-failed finds the run and deploys only the hosts that did not finish.
      const retry = await cli(['--deploy', '--retry-failed']);
      expect(retry.stdout).not.toContain(`${addr(1)}:22`);
      expect(retry.stdout).toMatch(/(\d) out of \1 hosts successfully completed install_dcos stage\./);
      expect(retry.code).toBe(0);

      // A plain re-run: every host holds this bundle, so each is "already installed, skipped", a success.
      const again = await cli(['--deploy']);
      expect(again.stdout).toContain('5 out of 5 hosts successfully completed install_dcos stage.');
      expect(again.stdout).toMatch(/5 hosts already installed \(config_id [0-9a-f]+\), skipped/);
      expect(again.code).toBe(0);
    },
    LONG,
  );

  it(
    'a half-installed host (role file and units, never set up) is refused untouched, saying what to do',
    async () => {
      expect((await cli(['--uninstall', '--yes', '--hosts', addr(5)])).code).toBe(0);
      // What a dcos_install.sh killed after writing the role file and the units leaves behind.
      const half = await lab.exec(
        5,
        'mkdir -p /etc/mesosphere/roles && touch /etc/mesosphere/roles/slave_public && echo "[Unit]" > /etc/systemd/system/dcos-setup.service',
      );
      expect(half.code).toBe(0);
      const r = await cli(['--deploy', '--hosts', addr(5)]);
      expect(r.stdout).toMatch(new RegExp(`${re(addr(5))}:22\\s+public_agent\\s+failed`));
      expect(r.stdout).toContain('half-installed: role file /etc/mesosphere/roles/slave_public');
      expect(r.stdout).toContain(`run --uninstall --yes --hosts ${addr(5)}`);
      expect(r.code).toBe(3);
      // Nothing was sent or installed.
      expect(existsSync(onHost(5, 'opt/mesosphere'))).toBe(false);
      expect((await cli(['--uninstall', '--yes', '--hosts', addr(5)])).code).toBe(0);
      expect((await cli(['--deploy', '--hosts', addr(5)])).code).toBe(0);
    },
    LONG,
  );

  it(
    'a flooding ip-detect (100 MB on stdout) is reported as such, with no frame marker in the message',
    async () => {
      await writeFile(path.join(genconf, 'ip-detect'), "#!/bin/sh\nhead -c 100000000 /dev/zero | tr '\\0' x\n", {
        mode: 0o755,
      });
      try {
        const r = await cli(['--preflight', '--hosts', addr(2)]);
        expect(r.stdout).toMatch(new RegExp(`${re(addr(2))}:22\\s+master\\s+failed`));
        expect(r.stdout).toContain('ip-detect printed more on stdout than is kept');
        expect(r.stdout).not.toContain('could not start');
        expect(r.stdout).not.toContain('@@genconf');
        expect(r.code).toBe(3);
      } finally {
        await writeFile(path.join(genconf, 'ip-detect'), IP_DETECT, { mode: 0o755 });
      }
    },
    LONG,
  );

  it(
    'a closed stdout (--preflight --json | head -1) never stops the run: logs, state and summary are written, exit 74',
    async () => {
      expect((await cli(['--uninstall', '--yes'])).code).toBe(0);
      const status = path.join(work, 'pipe-status');
      const errFile = path.join(work, 'pipe-stderr');
      const cmd = [process.execPath, CLI, '--preflight', '--json', ...baseArgs()].map((a) => JSON.stringify(a));
      const script = `${cmd.join(' ')} 2>${JSON.stringify(errFile)} | head -1; echo "\${PIPESTATUS[0]}" > ${JSON.stringify(status)}`;
      const r = spawnSync('bash', ['-c', script], {
        cwd: work,
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1' },
      });
      const first = JSON.parse(r.stdout.trim()) as { type: string; runId: string };
      expect(first.type).toBe('run');
      const stderr = await readFile(errFile, 'utf8');
      expect(stderr).not.toContain('    at ');
      expect(stderr).toContain('standard output could not be written (EPIPE)');
      expect(stderr).toContain('5 out of 5 hosts successfully completed run_preflight stage.');
      expect(Number((await readFile(status, 'utf8')).trim())).toBe(74);
      // The run went on to its end: every host has its log, the state names this run, the summary file is there.
      const logs = await readdir(path.join(genconf, 'logs', first.runId));
      for (let i = 1; i <= 5; i++) expect(logs).toContain(`${addr(i)}:22.stdout.log`);
      expect(await readFile(path.join(genconf, 'logs', first.runId, 'summary.txt'), 'utf8')).toContain(
        '5 out of 5 hosts successfully completed run_preflight stage.',
      );
      const rec = await record();
      for (let i = 1; i <= 5; i++)
        expect(rec.hosts[`${addr(i)}:22`]!.stages.preflight).toMatchObject({ status: 'ok', runId: first.runId });
    },
    LONG,
  );
});
