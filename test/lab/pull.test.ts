/**
 * `genconf --serve` + `genconf --deploy --pull` on real sshd hosts: 3 masters, 2 agents and a public agent fetch
 * dcos_install.sh and every artifact from real nginx (started by the --serve command, in-process), each checking the
 * sha256s, while the orchestrator drives them over SSH with the same stages, barrier, summary and NDJSON as the push.
 * nginx's access log proves what each host downloaded; a tampered artifact fails its host, named in the summary.
 */
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/args.js';
import type { CommandContext } from '../../src/cli/context.js';
import { run as runSshStage } from '../../src/commands/ssh-stage.js';
import { run as serve } from '../../src/commands/serve.js';
import { GenconfError } from '../../src/errors.js';
import { main } from '../../src/main.js';
import { writeExampleArtifacts } from '../../scripts/example-artifacts.js';
import { freePort, nginxUnavailable, parseAccessLog } from '../support/nginx.js';
import { describeLab } from './harness/gate.js';
import { startLab, type Lab } from './harness/index.js';

const LONG = 480_000;
const N = 6;

describeLab('--serve and --deploy --pull on real sshd hosts', () => {
  let lab: Lab;
  let work: string;
  let genconf: string;
  let port: number;
  let stopServe: AbortController;
  let serving: Promise<number> | undefined;
  let serveOut: () => string = () => '';
  /** The artifact the tampered-file test damaged (on host 6 only). */
  let tampered = '';
  const addr = (i: number): string => lab.hosts[i - 1]!.address;
  const onHost = (i: number, p: string): string => path.join(lab.hosts[i - 1]!.fsRoot, p);
  const accessLog = () => parseAccessLog(readFileSync(path.join(genconf, 'nginx', 'access.log'), 'utf8'));

  function capture(): { stream: PassThrough; text: () => string } {
    const stream = new PassThrough();
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
  }

  async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const out = capture();
    const err = capture();
    let code: number;
    try {
      const options = parseArgs(
        ['--genconf-dir', genconf, '--host-key-checking', 'strict', '--no-color', ...argv],
        work,
        { ...process.env, NO_COLOR: '1' },
      );
      const ctx: CommandContext = {
        options,
        signal: new AbortController().signal,
        stdout: out.stream,
        stderr: err.stream,
        interactive: false,
      };
      code = await runSshStage(ctx);
    } catch (e) {
      if (!(e instanceof GenconfError)) throw e;
      err.stream.write(`error: ${e.message}\n`);
      code = e.exitCode;
    }
    return { code, stdout: out.text(), stderr: err.text() };
  }

  beforeAll(async () => {
    if (nginxUnavailable()) {
      if (process.env.CI === 'true') throw new Error(`under CI=true: ${nginxUnavailable()}`);
      return;
    }
    lab = await startLab({ count: N, nodeStubs: true });
    work = await mkdtemp(path.join(os.tmpdir(), 'genconf-pull-'));
    genconf = path.join(work, 'genconf');
    await writeExampleArtifacts(path.join(work, 'artifacts'));
    await mkdir(genconf, { recursive: true });
    await copyFile(lab.keys.ed25519, path.join(genconf, 'ssh_key'));
    await chmod(path.join(genconf, 'ssh_key'), 0o600);
    await copyFile(lab.knownHostsFile, path.join(genconf, 'known_hosts'));
    await writeFile(path.join(genconf, 'ip-detect'), '#!/bin/sh\ncat /etc/genconf-lab/ip\n', { mode: 0o755 });
    // Hosts share the machine's network stack: nginx on the machine's loopback is the bootstrap node for them.
    port = await freePort();
    const config = {
      cluster_name: 'pull',
      bootstrap_url: `http://127.0.0.1:${port}`,
      exhibitor_storage_backend: 'static',
      master_discovery: 'static',
      master_list: `[${addr(1)}, ${addr(2)}, ${addr(3)}]`,
      agent_list: `[${addr(4)}, ${addr(5)}]`,
      public_agent_list: `[${addr(6)}]`,
      resolvers: '[8.8.8.8]',
      ssh_user: lab.sudoUser,
      ssh_key_path: 'genconf/ssh_key',
    };
    await writeFile(
      path.join(genconf, 'config.yaml'),
      Object.entries(config)
        .map(([k, v]) => `${k}: ${v}\n`)
        .join(''),
    );
    expect(await main(['--genconf', '--genconf-dir', genconf], work)).toBe(0);

    stopServe = new AbortController();
    const out = capture();
    serveOut = out.text;
    const options = parseArgs(['--genconf-dir', genconf, '--serve', '--bind', '127.0.0.1'], work, {});
    serving = serve({ options, signal: stopServe.signal, stdout: out.stream, stderr: out.stream, interactive: false });
    for (let i = 0; i < 1000 && !serveOut().includes('slave_public'); i++) await new Promise((r) => setTimeout(r, 20));
  }, LONG);

  afterAll(async () => {
    stopServe?.abort();
    await serving;
    await lab?.down();
    if (work) await rm(work, { recursive: true, force: true });
  }, LONG);

  it('--serve prints the per-role commands with the sha256 of the served dcos_install.sh', () => {
    if (!lab) return;
    expect(serveOut()).toContain(`Serving ${path.join(genconf, 'serve')} on 127.0.0.1:${port}`);
    expect(serveOut()).toMatch(
      new RegExp(
        `curl -fsSLO http://127\\.0\\.0\\.1:${port}/dcos_install\\.sh && echo '[0-9a-f]{64}  dcos_install\\.sh' \\| sha256sum -c - && sudo bash dcos_install\\.sh slave_public`,
      ),
    );
  });

  it(
    'a tampered artifact fails its host, named in the summary; nothing is installed there',
    async () => {
      if (!lab) return;
      const pkg = (tampered = (await readFile(path.join(genconf, 'serve', 'SHA256SUMS'), 'utf8'))
        .split('\n')
        .map((l) => l.split(/\s+/)[1] ?? '')
        .find((p) => p.startsWith('packages/example-tools/'))!);
      const file = path.join(genconf, 'serve', pkg);
      const good = await readFile(file);
      const bad = Buffer.from(good);
      bad[bad.length >> 1] = (bad[bad.length >> 1] as number) ^ 1;
      await writeFile(file, bad);
      try {
        const r = await cli(['--deploy', '--pull', '--hosts', addr(6)]);
        expect(r.code).toBe(3);
        expect(r.stdout).toContain('0 out of 1 hosts successfully completed install_dcos stage.');
        expect(r.stdout).toContain(`http://127.0.0.1:${port}/${pkg}: SHA-256 mismatch`);
        expect(existsSync(onHost(6, 'opt/mesosphere'))).toBe(false);
        expect(existsSync(onHost(6, 'etc/mesosphere/roles/slave_public'))).toBe(false);
      } finally {
        await writeFile(file, good);
      }
    },
    LONG,
  );

  it(
    `--deploy --pull installs all ${N} hosts from nginx: masters first, each artifact downloaded once per host`,
    async () => {
      if (!lab) return;
      const before = accessLog().length;
      const r = await cli(['--deploy', '--pull', '--json']);
      expect(r.stderr).toContain(`${N} out of ${N} hosts successfully completed install_dcos stage.`);
      expect(r.code).toBe(0);
      const events = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const results = events.filter((e) => e.type === 'host_result') as Array<{ host: string; status: string }>;
      expect(results.map((h) => h.status)).toEqual(Array(N).fill('ok'));
      for (let i = 1; i <= N; i++) {
        expect(existsSync(onHost(i, 'opt/mesosphere/active')), addr(i)).toBe(true);
        expect(readFileSync(onHost(i, 'etc/mesosphere/setup-flags/repository-url'), 'utf8')).toBe(
          'file:///var/lib/dcos/genconf-repo\n',
        );
        expect(existsSync(onHost(i, 'opt/dcos_install_tmp'))).toBe(false);
      }
      const log = accessLog().slice(before);
      // dcos_install.sh once per host (the run's own check from this machine, once more); never the tar over HTTP.
      expect(log.filter((e) => e.path === '/dcos_install.sh').length).toBe(N + 1);
      expect(log.some((e) => e.path === '/dcos-install.tar')).toBe(false);
      const sums = (await readFile(path.join(genconf, 'serve', 'SHA256SUMS'), 'utf8'))
        .split('\n')
        .map((l) => l.split(/\s+/)[1] ?? '');
      const artifacts = sums.filter((p) => /^(bootstrap|packages|package_lists)\//.test(p));
      expect(artifacts.length).toBeGreaterThan(5);
      // Host 6 kept what it had checked in the tampered run and downloaded only the file it had refused.
      for (const a of artifacts)
        expect(log.filter((e) => e.path === `/${a}` && e.status === 200).length, a).toBe(a === tampered ? N : N - 1);
      expect(log.every((e) => e.status === 200)).toBe(true);
    },
    LONG,
  );

  it(
    'a re-run of --deploy --pull reports every host already installed and downloads nothing',
    async () => {
      if (!lab) return;
      const before = accessLog().length;
      const repoUrl = (i: number) => readFileSync(onHost(i, 'etc/mesosphere/setup-flags/repository-url'), 'utf8');
      const r = await cli(['--deploy', '--pull']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`${N} out of ${N} hosts successfully completed install_dcos stage.`);
      expect(r.stdout).toMatch(new RegExp(`${N} hosts already installed \\(config_id [0-9a-f]+\\), skipped`));
      // Only the run's own check of dcos_install.sh from this machine reached nginx: no host downloaded anything.
      expect(
        accessLog()
          .slice(before)
          .map((e) => e.path),
      ).toEqual(['/dcos_install.sh']);
      for (let i = 1; i <= N; i++) expect(repoUrl(i)).toBe('file:///var/lib/dcos/genconf-repo\n');
    },
    LONG,
  );
});
