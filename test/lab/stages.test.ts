/**
 * The SSH stages end to end on real sshd hosts (the project's lab harness, block 5): 3 masters, an agent and a
 * public agent, logged in as the non-root sudo user. The bundle is built in-process from the example artifacts, and
 * dcos_install.sh really runs on every host against the node stubs. Runs in order: each test leaves the hosts as
 * the next one expects.
 */
import { copyFile, chmod, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/args.js';
import type { CommandContext } from '../../src/cli/context.js';
import { run as runSshStage } from '../../src/commands/ssh-stage.js';
import { GenconfError } from '../../src/errors.js';
import { main } from '../../src/main.js';
import { writeExampleArtifacts } from '../../scripts/example-artifacts.js';
import { describeLab } from './harness/gate.js';
import { startLab, type Lab } from './harness/index.js';

const BLOCK = 5;

/**
 * A lab host's sshd restart (heal, rotateHostKey) bind-mounts over these machine paths again. Another test file's
 * sandbox may have removed the ones it created meanwhile; recreate them (empty directories, as the harness does).
 */
async function keepMountPoints(): Promise<void> {
  const { mkdir } = await import('node:fs/promises');
  for (const d of ['/etc/mesosphere', '/var/lib/dcos', '/etc/rexray', '/etc/genconf-lab'])
    await mkdir(d, { recursive: true });
}
const LONG = 240_000;

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

function collect(stream: PassThrough): () => string {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return () => Buffer.concat(chunks).toString('utf8');
}

describeLab('SSH stages on real sshd hosts', () => {
  let lab: Lab;
  let work: string;
  let genconf: string;
  const addr = (i: number): string => lab.hosts[i - 1]!.address;
  const onHost = (i: number, p: string): string => path.join(lab.hosts[i - 1]!.fsRoot, p);

  /** Run one SSH action in-process, as main() would, with stdout and stderr captured. */
  async function cli(argv: string[], signal?: AbortSignal): Promise<CliRun> {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const out = collect(stdout);
    const err = collect(stderr);
    let code: number;
    try {
      const options = parseArgs(
        ['--genconf-dir', genconf, '--host-key-checking', 'strict', '--no-color', ...argv],
        work,
        { ...process.env, NO_COLOR: '1' },
      );
      const ctx: CommandContext = {
        options,
        signal: signal ?? new AbortController().signal,
        stdout,
        stderr,
        interactive: false,
      };
      code = await runSshStage(ctx);
    } catch (e) {
      if (!(e instanceof GenconfError)) throw e;
      stderr.write(`error: ${e.message}\n`);
      if (e.hint) stderr.write(`hint: ${e.hint}\n`);
      code = e.exitCode;
    }
    return { code, stdout: out(), stderr: err() };
  }

  async function writeConfig(over: Record<string, string> = {}): Promise<void> {
    const lines = {
      cluster_name: 'lab',
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
      ...over,
    };
    await writeFile(
      path.join(genconf, 'config.yaml'),
      Object.entries(lines)
        .map(([k, v]) => `${k}: ${v}\n`)
        .join(''),
    );
  }

  const IP_DETECT =
    "#!/bin/sh\n# The lab host's own address, from the harness's identity file.\ncat /etc/genconf-lab/ip\n";

  beforeAll(async () => {
    lab = await startLab({ count: 5, block: BLOCK, nodeStubs: true });
    work = await mkdtemp(path.join(os.tmpdir(), 'genconf-stages-'));
    genconf = path.join(work, 'genconf');
    await writeExampleArtifacts(path.join(work, 'artifacts'));
    await import('node:fs/promises').then((fs) => fs.mkdir(genconf, { recursive: true }));
    await copyFile(lab.keys.ed25519, path.join(genconf, 'ssh_key'));
    await chmod(path.join(genconf, 'ssh_key'), 0o600);
    await copyFile(lab.knownHostsFile, path.join(genconf, 'known_hosts'));
    await writeFile(path.join(genconf, 'ip-detect'), IP_DETECT, { mode: 0o755 });
    await writeConfig();
    const code = await main(['--genconf', '--genconf-dir', genconf], work);
    expect(code).toBe(0);
    expect(existsSync(path.join(genconf, 'serve', 'dcos-install.tar'))).toBe(true);
  }, LONG);

  afterAll(async () => {
    await lab?.down();
    if (work) await rm(work, { recursive: true, force: true });
  }, LONG);

  it(
    'preflight checks every host for its own role, with ip-detect, and cleans up',
    async () => {
      const junit = path.join(work, 'preflight.xml');
      const r = await cli(['--preflight', '--json', '--junit', junit]);
      expect(r.stderr).toContain('5 out of 5 hosts successfully completed run_preflight stage.');
      expect(r.code).toBe(0);
      const events = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(events.every((e) => e.v === 1)).toBe(true);
      const results = events.filter((e) => e.type === 'host_result') as Array<{
        host: string;
        role: string;
        status: string;
        checks: Array<{ name: string; status: string }>;
      }>;
      expect(results.map((h) => [h.host, h.status])).toEqual([1, 2, 3, 4, 5].map((i) => [`${addr(i)}:22`, 'ok']));
      for (const h of results) {
        expect(h.checks).toContainEqual(expect.objectContaining({ name: 'ip-detect', status: 'pass' }));
        expect(h.checks.length).toBeGreaterThan(5);
      }
      // Agents are checked for the agent port list, not the master one (the original checked every host as a master).
      const agent = results[3]!;
      expect(agent.checks.some((c) => c.name.includes('5051'))).toBe(true);
      expect(agent.checks.some((c) => c.name.includes('(required by mesos-master)'))).toBe(false);
      for (let i = 1; i <= 5; i++) expect(existsSync(onHost(i, 'opt/dcos_install_tmp'))).toBe(false);
      expect(await readFile(junit, 'utf8')).toContain(
        '<testsuite name="preflight" tests="5" failures="0" errors="0" skipped="0"',
      );
      const run = events.find((e) => e.type === 'run') as { runId: string };
      const logs = path.join(genconf, 'logs', run.runId);
      const files = (await readdir(logs)).sort();
      expect(files).toContain(`${addr(4)}:22.stdout.log`);
      // A clean preflight writes nothing to stderr: no host has an (empty) stderr log.
      expect(files.filter((f) => f.endsWith('.stderr.log'))).toEqual([]);
      expect((await stat(path.join(logs, `${addr(4)}:22.stdout.log`))).mode & 0o777).toBe(0o600);
      expect(await readFile(path.join(logs, `${addr(4)}:22.stdout.log`), 'utf8')).toContain(
        '$ sudo -n bash -s -- /opt/dcos_install_tmp slave',
      );
    },
    LONG,
  );

  it(
    "preflight fails hosts whose ip-detect prints another host's address, naming both",
    async () => {
      await writeFile(path.join(genconf, 'ip-detect'), `#!/bin/sh\necho ${addr(1)}\n`, { mode: 0o755 });
      try {
        const r = await cli(['--preflight', '--hosts', `${addr(1)},${addr(2)}`]);
        expect(r.code).toBe(3);
        expect(r.stdout).toContain(`ip-detect printed ${addr(1)}, but config.yaml lists this host as ${addr(2)}`);
        expect(r.stdout).toContain(`ip-detect printed ${addr(1)} here and also on ${addr(2)}:22`);
        expect(r.stdout).toContain('0 out of 2 hosts successfully completed run_preflight stage.');
      } finally {
        await writeFile(path.join(genconf, 'ip-detect'), IP_DETECT, { mode: 0o755 });
      }
    },
    LONG,
  );

  it(
    '--ignore-check reaches the node: its output, the per-host log and the judged result all say IGNORED',
    async () => {
      // Something under /opt/mesosphere: dcos_install.sh's "already installed" check fails on host 4.
      const marker = onHost(4, 'opt/mesosphere/left-over');
      await import('node:fs/promises').then((fs) => fs.mkdir(path.dirname(marker), { recursive: true }));
      await writeFile(marker, 'x');
      try {
        const failing = await cli(['--preflight', '--hosts', addr(4)]);
        expect(failing.code).toBe(3);
        expect(failing.stdout).toContain('Checking if DC/OS is already installed');

        const r = await cli(['--preflight', '--json', '--hosts', addr(4), '--ignore-check', 'dcos-not-installed']);
        expect(r.code).toBe(0);
        expect(r.stderr).toContain('1 out of 1 hosts successfully completed run_preflight stage.');
        const events = r.stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        const summary = events.find((e) => e.type === 'summary') as {
          ignoredChecks: { ids: string[]; where: Array<Record<string, string>> };
        };
        const name = 'Checking if DC/OS is already installed';
        const detail = 'FAIL: Currently installed; --ignore-check dcos-not-installed';
        expect(summary.ignoredChecks).toEqual({
          ids: ['dcos-not-installed'],
          where: [{ host: `${addr(4)}:22`, id: 'dcos-not-installed', name, detail }],
        });
        // The node said so itself: its command line carried the id and its output the IGNORED line.
        const run = events.find((e) => e.type === 'run') as { runId: string };
        const log = await readFile(path.join(genconf, 'logs', run.runId, `${addr(4)}:22.stdout.log`), 'utf8');
        expect(log).toContain('$ sudo -n bash -s -- /opt/dcos_install_tmp slave --ignore-check dcos-not-installed');
        expect(log).toContain(`${name}: IGNORED (${detail})`);
        expect(log).toMatch(/^Preflight summary: 0 FAIL, \d+ WARN, 1 IGNORED$/m);
        expect(log).not.toMatch(/: FAIL\b/);
      } finally {
        await rm(marker, { force: true });
      }
    },
    LONG,
  );

  it(
    'a slowed host still completes',
    async () => {
      await lab.slow(3, 80);
      try {
        const r = await cli(['--preflight', '--hosts', `${addr(3)},${addr(4)}`]);
        expect(r.code).toBe(0);
        expect(r.stdout).toContain('2 out of 2 hosts successfully completed run_preflight stage.');
      } finally {
        await keepMountPoints();
        await lab.heal(3);
      }
    },
    LONG,
  );

  it(
    'a blackholed host is reported unreachable within the connect timeout and the run ends (exit 4)',
    async () => {
      await lab.drop(5);
      try {
        const r = await cli(['--preflight', '--connect-timeout', '2', '--hosts', `${addr(4)},${addr(5)}`]);
        expect(r.code).toBe(4);
        expect(r.stdout).toMatch(new RegExp(`${addr(5).replace(/\./g, '\\.')}:22\\s+public_agent\\s+unreachable`));
        expect(r.stdout).toContain('--connect-timeout');
        expect(r.stdout).toContain('1 out of 2 hosts successfully completed run_preflight stage.');
      } finally {
        await keepMountPoints();
        await lab.heal(5);
      }
    },
    LONG,
  );

  it(
    'an encrypted key works with its passphrase from GENCONF_SSH_KEY_PASSPHRASE, and fails clearly without',
    async () => {
      await copyFile(lab.keys.encrypted, path.join(genconf, 'ssh_key_enc'));
      await chmod(path.join(genconf, 'ssh_key_enc'), 0o600);
      await writeConfig({ ssh_key_path: 'genconf/ssh_key_enc' });
      try {
        const without = await cli(['--preflight', '--hosts', addr(2)]);
        expect(without.code).toBe(1);
        expect(without.stderr).toMatch(/encrypted and no passphrase is available/);
        process.env.GENCONF_SSH_KEY_PASSPHRASE = lab.keys.passphrase;
        const r = await cli(['--preflight', '--hosts', `${addr(1)},${addr(2)}`]);
        expect(r.stdout).toContain('2 out of 2 hosts successfully completed run_preflight stage.');
        expect(r.code).toBe(0);
      } finally {
        delete process.env.GENCONF_SSH_KEY_PASSPHRASE;
        await writeConfig();
      }
    },
    LONG,
  );

  it(
    'deploy installs masters first, then agents, with dcos_install.sh really running on every host',
    async () => {
      const r = await cli(['--deploy']);
      expect(r.stdout).toContain('5 out of 5 hosts successfully completed install_dcos stage.');
      expect(r.code).toBe(0);
      const roles = ['master', 'master', 'master', 'slave', 'slave_public'];
      for (let i = 1; i <= 5; i++) {
        expect(existsSync(onHost(i, `etc/mesosphere/roles/${roles[i - 1]}`))).toBe(true);
        // Inside the host: pkgpanda's links are absolute, so they resolve only in the host's own mount namespace.
        expect((await lab.exec(i, 'test -x /opt/mesosphere/bin/pkgpanda && test -d /opt/mesosphere/active')).code).toBe(
          0,
        );
        expect(existsSync(onHost(i, 'opt/dcos_install_tmp'))).toBe(false);
      }
    },
    LONG,
  );

  it(
    'postflight passes against the stand-in dcos-diagnostics',
    async () => {
      const r = await cli(['--postflight', '--postflight-timeout', '60']);
      expect(r.stdout).toContain('5 out of 5 hosts successfully completed run_postflight stage.');
      expect(r.code).toBe(0);
    },
    LONG,
  );

  it(
    'uninstall needs --yes when nobody can type yes',
    async () => {
      const r = await cli(['--uninstall']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--yes');
      expect(existsSync(onHost(1, 'opt/mesosphere'))).toBe(true);
    },
    LONG,
  );

  it(
    'uninstall removes DC/OS from every host and a second run succeeds with nothing to do',
    async () => {
      // Things that are not DC/OS's must survive: neighbours of every removed path.
      const keep = [
        '/etc/systemd/system/other.service',
        '/etc/systemd/system/multi-user.target.wants/other.service',
        '/opt/other/keep',
        '/etc/profile.d/other.sh',
        '/opt/mesosphere-not/keep',
      ];
      for (let i = 1; i <= 5; i++)
        expect(
          (await lab.exec(i, keep.map((f) => `mkdir -p "$(dirname ${f})" && echo keep > ${f}`).join(' && '))).code,
        ).toBe(0);
      // The Docker proxy drop-in dcos_install.sh writes with use_proxy: true (its first line marks it) goes; an
      // operator's own drop-in at that path (host 2) stays.
      const dropIn = '/etc/systemd/system/docker.service.d/http-proxy.conf';
      for (let i = 1; i <= 5; i++) {
        const first =
          i === 2 ? '[Service]' : '# Written by dcos_install.sh (use_proxy: true); genconf --uninstall removes it.';
        const body = `${first}\n[Service]\nEnvironment="HTTP_PROXY=http://proxy:3128"\n`;
        expect(
          (
            await lab.exec(
              i,
              `mkdir -p ${path.posix.dirname(dropIn)} && printf '${body}' > ${dropIn} && rm -f /etc/systemd/.stub-calls`,
            )
          ).code,
        ).toBe(0);
      }
      const first = await cli(['--uninstall', '--yes']);
      expect(first.stdout).toContain('5 out of 5 hosts successfully completed uninstall_dcos stage.');
      expect(first.code).toBe(0);
      for (let i = 1; i <= 5; i++) {
        for (const p of ['opt/mesosphere', 'etc/mesosphere/roles', 'etc/profile.d/dcos.sh', 'opt/dcos_install_tmp'])
          expect(existsSync(onHost(i, p))).toBe(false);
        expect((await readdir(onHost(i, 'etc/systemd/system'))).filter((f) => f.startsWith('dcos'))).toEqual([]);
        expect((await lab.exec(i, 'ls -d /etc/systemd/system/*.wants/dcos* 2>/dev/null || true')).stdout).toBe('');
        // Removed (with its then empty directory) and systemd told, or kept when it was not dcos_install.sh's.
        expect(existsSync(onHost(i, dropIn.slice(1))), `host ${i}`).toBe(i === 2);
        expect(existsSync(onHost(i, path.posix.dirname(dropIn).slice(1))), `host ${i}`).toBe(i === 2);
        expect(readFileSync(onHost(i, 'etc/systemd/.stub-calls'), 'utf8')).toContain('daemon-reload\n');
      }
      for (let i = 1; i <= 5; i++)
        expect((await lab.exec(i, keep.map((f) => `test -f ${f}`).join(' && '))).code).toBe(0);
      // sshd still answers: the second run logs in again.
      const second = await cli(['--uninstall', '--yes']);
      expect(second.stdout).toContain('5 out of 5 hosts successfully completed uninstall_dcos stage.');
      expect(second.code).toBe(0);
    },
    LONG,
  );

  it(
    'Ctrl-C during deploy stops new work, runs the cleanups, reports and exits 130',
    async () => {
      const abort = new AbortController();
      const marker = onHost(1, 'opt/dcos_install_tmp/dcos-install.tar');
      const watcher = (async () => {
        for (let n = 0; n < 6000 && !abort.signal.aborted; n++) {
          if (existsSync(marker)) abort.abort();
          else await new Promise((res) => setTimeout(res, 5));
        }
      })();
      const r = await cli(['--deploy'], abort.signal);
      await watcher;
      expect(r.code).toBe(130);
      expect(r.stdout).toContain('Interrupted: no new work was started');
      expect(r.stdout).toMatch(new RegExp(`${addr(4).replace(/\./g, '\\.')}:22\\s+agent\\s+skipped`));
      expect(r.stdout).toMatch(/out of 5 hosts successfully completed install_dcos stage\./);
      // Every host that started had its staging directory removed; agents were never touched.
      for (let i = 1; i <= 5; i++) expect(existsSync(onHost(i, 'opt/dcos_install_tmp'))).toBe(false);
      expect(existsSync(onHost(4, 'etc/mesosphere/roles/slave'))).toBe(false);
      expect((await cli(['--uninstall', '--yes'])).code).toBe(0);
    },
    LONG,
  );

  it(
    'a host killed mid-deploy fails alone; --retry-failed then redeploys just that host',
    async () => {
      await lab.slow(4, 40);
      const marker = onHost(4, 'opt/dcos_install_tmp/dcos-install.tar');
      let killed = false;
      const watcher = (async () => {
        for (let n = 0; n < 6000 && !killed; n++) {
          if (existsSync(marker)) {
            await lab.kill(4);
            killed = true;
            return;
          }
          await new Promise((res) => setTimeout(res, 10));
        }
      })();
      let healed = false;
      const heal = async (): Promise<void> => {
        if (healed) return;
        await keepMountPoints();
        await lab.heal(4);
        healed = true;
      };
      try {
        const r = await cli(['--deploy']);
        await watcher;
        expect(killed).toBe(true);
        // A host that goes away mid-step is unreachable (exit 4), whichever step it was in.
        expect(r.code).toBe(4);
        expect(r.stdout).toMatch(new RegExp(`${addr(4).replace(/\./g, '\\.')}:22\\s+agent\\s+unreachable`));
        expect(r.stdout).toContain('connection lost');
        expect(r.stdout).toContain('4 out of 5 hosts successfully completed install_dcos stage.');
        await heal();

        // The killed host may be half-installed: remove what is there, then retry only it.
        expect((await cli(['--uninstall', '--yes', '--hosts', addr(4)])).code).toBe(0);
        const retry = await cli(['--deploy', '--retry-failed']);
        expect(retry.stdout).toContain('1 out of 1 hosts successfully completed install_dcos stage.');
        expect(retry.code).toBe(0);
      } finally {
        // Leave every host clean for the next test, whatever happened above.
        await heal();
        expect((await cli(['--uninstall', '--yes'])).code).toBe(0);
      }
    },
    LONG,
  );

  it(
    'install-prereqs reports an unsupported distribution as a failed host with a clear reason',
    async () => {
      const r = await cli(['--install-prereqs', '--hosts', addr(1)]);
      expect(r.code).toBe(3);
      expect(r.stdout).toMatch(/unsupported distribution: .*--install-prereqs supports CentOS and RHEL 7\.2/);
      expect(r.stdout).toContain('0 out of 1 hosts successfully completed install_prereqs stage.');
    },
    LONG,
  );

  it(
    'a full disk during the deploy upload is reported as "No space left on device", not as a stall',
    async () => {
      // A 64 KiB tmpfs on the staging directory, inside host 4's own mount namespace: the bundle cannot fit.
      const staging = '/opt/dcos_install_tmp';
      expect(
        (await lab.exec(4, `mkdir -p ${staging} && mount -t tmpfs -o size=64k genconf-full ${staging}`)).code,
      ).toBe(0);
      try {
        const r = await cli(['--deploy', '--hosts', addr(4)]);
        expect(r.code).toBe(3);
        expect(r.stdout).toMatch(new RegExp(`${addr(4).replace(/\./g, '\\.')}:22\\s+agent\\s+failed`));
        expect(r.stdout).toContain(`upload of ${staging}/dcos-install.tar failed: No space left on device`);
        expect(r.stdout).not.toContain('made no progress');
        expect(r.stdout).toContain('0 out of 1 hosts successfully completed install_dcos stage.');
      } finally {
        await lab.exec(4, `umount ${staging}; rm -rf ${staging}`);
      }
      expect(existsSync(onHost(4, 'opt/mesosphere'))).toBe(false);
    },
    LONG,
  );

  it(
    'a changed host key fails that host loudly and known_hosts is not rewritten',
    async () => {
      const before = await readFile(path.join(genconf, 'known_hosts'), 'utf8');
      await keepMountPoints();
      await lab.rotateHostKey(2);
      for (const mode of ['strict', 'accept-new']) {
        const r = await cli(['--preflight', '--hosts', addr(2), '--host-key-checking', mode]);
        expect(r.code).toBe(4);
        expect(r.stdout).toMatch(new RegExp(`${addr(2).replace(/\./g, '\\.')}:22\\s+master\\s+unreachable`));
        expect(r.stdout.toLowerCase()).toContain('host key');
        expect(await readFile(path.join(genconf, 'known_hosts'), 'utf8')).toBe(before);
      }
    },
    LONG,
  );
});
