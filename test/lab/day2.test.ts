/**
 * Day 2 on real sshd hosts (the lab harness, a block of its own): install 3 masters and an agent, add two agents whose
 * fault-domain-detect says another region (only those two see any write; they are marked remote), decommission one
 * against the Mesos operator API stand-in, probe the truth, run everything again and see nothing change, then the
 * drift cases. dcos_install.sh really runs on every host against the node stubs. Tests run in order.
 */
import { createHash } from 'node:crypto';
import { chmod, copyFile, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/args.js';
import type { CommandContext } from '../../src/cli/context.js';
import { readRecord } from '../../src/cluster/record.js';
import { GenconfError } from '../../src/errors.js';
import { main } from '../../src/main.js';
import { writeExampleArtifacts } from '../../scripts/example-artifacts.js';
import { startMesosStandin, type MesosStandin } from '../support/mesos-standin.js';
import { describeLab } from './harness/gate.js';
import { startLab, type Lab } from './harness/index.js';

const LONG = 300_000;
const TOKEN = 'lab-acs-token-not-for-logs';

/**
 * Not the host's state: the systemctl stand-in logs every call (even `is-active`), and the lab's sshd logs every
 * login. The add-nodes test keeps even these unchanged on existing hosts (they are never contacted).
 */
const NOISE = new Set(['etc/systemd/.stub-calls', 'etc/genconf-lab/sshd/sshd.log']);

async function snapshot(root: string, skip: ReadonlySet<string> = NOISE): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (rel: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(path.join(root, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (skip.has(r)) continue;
      const st = await lstat(path.join(root, r));
      let what = `${st.mode.toString(8)} ${st.size} ${st.mtimeMs}`;
      if (e.isSymbolicLink()) what += ` -> ${await readlink(path.join(root, r))}`;
      else if (e.isFile() && st.size < 1 << 20)
        what += ` ${createHash('sha256')
          .update(await readFile(path.join(root, r)))
          .digest('hex')}`;
      out.set(r, what);
      if (e.isDirectory()) await walk(r);
    }
  };
  await walk('');
  return out;
}

function changes(before: Map<string, string>, after: Map<string, string>): string[] {
  const diff: string[] = [];
  for (const [k, v] of after) if (before.get(k) !== v) diff.push(before.has(k) ? `changed ${k}` : `added ${k}`);
  for (const k of before.keys()) if (!after.has(k)) diff.push(`removed ${k}`);
  return diff;
}

describeLab('day 2 on real sshd hosts: add nodes in a remote region, decommission, probe', () => {
  let lab: Lab;
  let work: string;
  let genconf: string;
  let mesos: MesosStandin;
  const addr = (i: number): string => lab.hosts[i - 1]!.address;
  const root = (i: number): string => lab.hosts[i - 1]!.fsRoot;
  const snapAll = async (skip?: ReadonlySet<string>): Promise<Map<string, string>[]> =>
    Promise.all(lab.hosts.map((h) => snapshot(h.fsRoot, skip)));

  async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    stdout.on('data', (c: Buffer) => out.push(c));
    stderr.on('data', (c: Buffer) => err.push(c));
    let code: number;
    try {
      const options = parseArgs(
        ['--genconf-dir', genconf, '--host-key-checking', 'strict', '--no-color', ...argv],
        work,
        { ...process.env, NO_COLOR: '1' },
      );
      const ctx: CommandContext = { options, signal: new AbortController().signal, stdout, stderr, interactive: false };
      const modules: Record<string, () => Promise<{ run: (c: CommandContext) => Promise<number> }>> = {
        'add-nodes': () => import('../../src/commands/add-nodes.js'),
        status: () => import('../../src/commands/status.js'),
        decommission: () => import('../../src/commands/decommission.js'),
      };
      code = await (modules[options.action] ?? (() => import('../../src/commands/ssh-stage.js')))().then((m) =>
        m.run(ctx),
      );
    } catch (e) {
      if (!(e instanceof GenconfError)) throw e;
      stderr.write(`error: ${e.message}\n${e.hint ? `hint: ${e.hint}\n` : ''}`);
      code = e.exitCode;
    }
    return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
  }

  async function writeConfig(agents: number[]): Promise<void> {
    const lines = {
      cluster_name: 'day2',
      bootstrap_url: 'file:///opt/dcos_install_tmp',
      exhibitor_storage_backend: 'static',
      master_discovery: 'static',
      master_list: `[${addr(1)}, ${addr(2)}, ${addr(3)}]`,
      agent_list: `[${agents.map(addr).join(', ')}]`,
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

  beforeAll(async () => {
    lab = await startLab({ count: 7, nodeStubs: true });
    work = await mkdtemp(path.join(os.tmpdir(), 'genconf-day2-'));
    genconf = path.join(work, 'genconf');
    await writeExampleArtifacts(path.join(work, 'artifacts'));
    await mkdir(genconf, { recursive: true });
    await copyFile(lab.keys.ed25519, path.join(genconf, 'ssh_key'));
    await chmod(path.join(genconf, 'ssh_key'), 0o600);
    await copyFile(lab.knownHostsFile, path.join(genconf, 'known_hosts'));
    await writeFile(path.join(genconf, 'ip-detect'), '#!/bin/sh\ncat /etc/genconf-lab/ip\n', { mode: 0o755 });
    // Hosts 5 and up are in another region; every host has a zone of its own.
    await writeFile(
      path.join(genconf, 'fault-domain-detect'),
      '#!/bin/sh\ni=$(cat /etc/genconf-lab/index)\nif [ "$i" -ge 5 ]; then r=remote; else r=local; fi\nprintf \'{"fault_domain":{"region":{"name":"%s"},"zone":{"name":"%s-%s"}}}\\n\' "$r" "$r" "$i"\n',
      { mode: 0o755 },
    );
    await writeFile(path.join(genconf, 'token'), TOKEN + '\n', { mode: 0o600 });
    await writeConfig([4]);
    expect(await main(['--genconf', '--genconf-dir', genconf], work)).toBe(0);
    mesos = await startMesosStandin({
      masters: 3,
      leader: 1,
      token: TOKEN,
      agents: [4, 5, 6].map((i) => ({ id: `S${i}`, hostname: addr(i), address: addr(i) })),
    });
  }, LONG);

  afterAll(async () => {
    await mesos?.close();
    await lab?.down();
    if (work) await rm(work, { recursive: true, force: true });
  }, LONG);

  it(
    "installs 3 masters and an agent; preflight records each host's region and zone",
    async () => {
      const pre = await cli(['--preflight']);
      expect(pre.stdout).toContain('4 out of 4 hosts successfully completed run_preflight stage.');
      expect(pre.stdout).toContain('Fault domains (local region local):');
      expect(pre.code).toBe(0);
      const dep = await cli(['--deploy']);
      expect(dep.stdout).toContain('4 out of 4 hosts successfully completed install_dcos stage.');
      expect(dep.code).toBe(0);
      const rec = (await readRecord(genconf))!;
      expect(rec.configId).toMatch(/^[0-9a-f]+$/);
      expect(rec.hosts[`${addr(1)}:22`]).toMatchObject({
        region: 'local',
        zone: 'local-1',
        installed: { configId: rec.configId },
      });
    },
    LONG,
  );

  it(
    'adds two agents in a remote region: only they see any write, and they are marked remote',
    async () => {
      await writeConfig([4, 5, 6]);
      const before = await snapAll(new Set());
      const r = await cli(['--add-nodes', '--postflight-timeout', '60']);
      const after = await snapAll(new Set());
      expect(r.stdout).toContain(`[add-nodes] 2 added: ${addr(5)}:22, ${addr(6)}:22`);
      expect(r.stdout).toMatch(
        new RegExp(
          `${addr(5).replace(/\./g, '\\.')}:22\\s+agent\\s+region remote, zone remote-5 {2}\\(remote region\\)`,
        ),
      );
      expect(r.code).toBe(0);
      for (const i of [1, 2, 3, 4]) expect(changes(before[i - 1]!, after[i - 1]!)).toEqual([]);
      for (const i of [5, 6])
        expect(changes(before[i - 1]!, after[i - 1]!)).toContain('added etc/mesosphere/roles/slave');
      expect(changes(before[6]!, after[6]!)).toEqual([]);
      const rec = (await readRecord(genconf))!;
      for (const i of [5, 6])
        expect(rec.hosts[`${addr(i)}:22`]).toMatchObject({
          region: 'remote',
          remoteRegion: true,
          installed: { configId: rec.configId },
        });
    },
    LONG,
  );

  it(
    'decommissions one of them: GET_AGENTS and MARK_AGENT_GONE reach the leading master, DC/OS leaves the host',
    async () => {
      const r = await cli([
        '--decommission',
        '--hosts',
        addr(6),
        '--yes',
        '--master-url',
        mesos.urls[0]!,
        '--dcos-token-file',
        path.join(genconf, 'token'),
      ]);
      expect(r.stdout).toContain(`${addr(6)}:22  decommissioned  (agent S6)`);
      expect(r.code).toBe(0);
      expect(mesos.requests.map((q) => [q.master, q.type, q.status])).toEqual([
        [0, 'GET_AGENTS', 307],
        [1, 'GET_AGENTS', 200],
        [1, 'MARK_AGENT_GONE', 200],
      ]);
      expect(mesos.gone).toEqual(['S6']);
      expect((await readdir(path.join(root(6), 'opt'))).includes('mesosphere')).toBe(false);
      expect((await readRecord(genconf))!.hosts[`${addr(6)}:22`]!.decommissioned).toMatchObject({
        agentId: 'S6',
        diskCleaned: true,
      });
    },
    LONG,
  );

  it(
    '--status --probe shows the truth and changes nothing; everything a second time changes nothing',
    async () => {
      const before = await snapAll();
      const requests = mesos.requests.length;
      const probe = await cli(['--status', '--probe']);
      expect(probe.stdout).toContain('No drift');
      expect(probe.stdout).toMatch(
        new RegExp(
          `${addr(5).replace(/\./g, '\\.')}:22\\s+agent\\s+yes\\s+yes\\s+slave\\s+[0-9a-f]+\\s+\\d+/\\d+ active\\s+remote\\s+remote-5`,
        ),
      );
      expect(probe.stdout).toMatch(new RegExp(`${addr(6).replace(/\./g, '\\.')}:22\\s+agent\\s+yes\\s+decommissioned`));
      expect(probe.code).toBe(0);
      const add = await cli(['--add-nodes']);
      expect(add.stdout).toContain('0 added');
      expect(add.stdout).toContain(`skipped ${addr(6)}:22 (agent): decommissioned`);
      expect(add.code).toBe(0);
      const dec = await cli([
        '--decommission',
        '--hosts',
        addr(6),
        '--yes',
        '--master-url',
        mesos.urls[0]!,
        '--dcos-token-file',
        path.join(genconf, 'token'),
      ]);
      expect(dec.stdout).toContain('nothing to change');
      expect(dec.code).toBe(0);
      expect(mesos.requests.length).toBe(requests);
      const after = await snapAll();
      for (let i = 1; i <= 7; i++) expect(changes(before[i - 1]!, after[i - 1]!)).toEqual([]);
    },
    LONG,
  );

  it(
    'names the drift: installed with another config id, listed but never installed, installed but no longer listed',
    async () => {
      // Host 5 re-pointed by hand at another config; host 7 listed and never installed; host 4 dropped from the list.
      expect(
        (
          await lab.exec(
            5,
            'ln -sfn /opt/mesosphere/packages/dcos-config--setup_0000beef /opt/mesosphere/active/dcos-config',
          )
        ).code,
      ).toBe(0);
      await writeConfig([5, 6, 7]);
      const r = await cli(['--status', '--probe']);
      expect(r.code).toBe(3);
      const id = (await readRecord(genconf))!.configId!;
      expect(r.stdout).toContain(`${addr(5)}:22: drift: installed with config_id 0000beef, the cluster's is ${id}`);
      expect(r.stdout).toContain(`${addr(7)}:22: drift: listed in config.yaml but nothing is installed`);
      expect(r.stdout).toContain(
        `${addr(4)}:22: drift: DC/OS is installed (config_id ${id}) but the host is no longer listed in config.yaml`,
      );
      expect(r.stdout + r.stderr).not.toContain(TOKEN);
    },
    LONG,
  );
});
