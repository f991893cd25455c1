/**
 * ssh_config and ProxyJump on real sshd hosts. Host 1 is bastion A, host 2 bastion B (reached only through A), hosts
 * 3–7 the cluster. The cluster and bastion B refuse direct connections from this process: an iptables OUTPUT rule
 * resets every TCP connection to their port 22 from a socket owned by root. sshd opens a forwarded connection in the
 * session process of the logged-in user (centos, uid ≠ 0), so only a path through a bastion gets through — a pass
 * proves the jump. The bastions are defined in an Included file; host 4 logs in as root with the RSA key only, from
 * ssh_config. Tests run in order.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/args.js';
import type { CommandContext } from '../../src/cli/context.js';
import { run as runSshStage } from '../../src/commands/ssh-stage.js';
import { GenconfError } from '../../src/errors.js';
import { main } from '../../src/main.js';
import { SshTransport } from '../../src/transport/ssh.js';
import { loadSshConfig } from '../../src/transport/ssh-config.js';
import { resolveHostSsh } from '../../src/transport/host-ssh.js';
import { writeExampleArtifacts } from '../../scripts/example-artifacts.js';
import { describeLab } from './harness/gate.js';
import { startLab, type Lab } from './harness/index.js';

const LONG = 240_000;

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

function iptables(args: string[]): boolean {
  try {
    execFileSync('iptables', ['-w', ...args], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Remove the chain (also one a crashed earlier run left behind): a stale rule would break the next lab on the block. */
function removeChain(chain: string): void {
  while (iptables(['-D', 'OUTPUT', '-j', chain])) {
    /* every jump */
  }
  iptables(['-F', chain]);
  iptables(['-X', chain]);
}

describeLab('ssh_config and jump hosts on real sshd', () => {
  let lab: Lab;
  let work: string;
  let genconf: string;
  let chain: string;
  const addr = (i: number): string => lab.hosts[i - 1]!.address;
  const behindA = [3, 4, 5, 6];
  const twoHop = 7;

  async function cli(argv: string[], onStdout?: (chunk: string) => void): Promise<CliRun> {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (c: Buffer) => {
      out += c.toString();
      onStdout?.(c.toString());
    });
    stderr.on('data', (c: Buffer) => (err += c.toString()));
    let code: number;
    try {
      const options = parseArgs(
        ['--genconf-dir', genconf, '--host-key-checking', 'strict', '--no-color', ...argv],
        work,
        { ...process.env, NO_COLOR: '1' },
      );
      const ctx: CommandContext = { options, signal: new AbortController().signal, stdout, stderr, interactive: false };
      code = await runSshStage(ctx);
    } catch (e) {
      if (!(e instanceof GenconfError)) throw e;
      err += `error: ${e.message}\n`;
      code = e.exitCode;
    }
    return { code, stdout: out, stderr: err };
  }

  /** sshd's count of logins as centos on a bastion (its log is private to the host). */
  async function centosLogins(i: number): Promise<number> {
    const r = await lab.exec(i, 'grep -c "Accepted publickey for centos" /etc/genconf-lab/sshd/sshd.log || true');
    return Number(r.stdout.trim() || '0');
  }

  async function writeKnownHosts(): Promise<void> {
    const lines = lab.hosts.map((h) => `${h.address} ${lab.hostPublicKey(h.index)}`);
    lines.push(`cluster-5-alias ${lab.hostPublicKey(5)}`);
    await writeFile(path.join(genconf, 'known_hosts'), lines.join('\n') + '\n');
  }

  beforeAll(async () => {
    lab = await startLab({ count: 7, nodeStubs: true });
    chain = `GENCONF-JUMP-${lab.block}`;
    work = await mkdtemp(path.join(os.tmpdir(), 'genconf-jump-'));
    genconf = path.join(work, 'genconf');
    await mkdir(genconf, { recursive: true });
    await mkdir(path.join(work, 'includes'));
    await writeExampleArtifacts(path.join(work, 'artifacts'));
    await copyFile(lab.keys.ed25519, path.join(work, 'id_ed25519'));
    await copyFile(lab.keys.rsa, path.join(work, 'id_rsa'));
    await chmod(path.join(work, 'id_ed25519'), 0o600);
    await chmod(path.join(work, 'id_rsa'), 0o600);
    await writeKnownHosts();
    await writeFile(path.join(genconf, 'ip-detect'), '#!/bin/sh\ncat /etc/genconf-lab/ip\n', { mode: 0o755 });
    await writeFile(
      path.join(genconf, 'config.yaml'),
      [
        'cluster_name: jump',
        'bootstrap_url: file:///opt/dcos_install_tmp',
        'exhibitor_storage_backend: static',
        'master_discovery: static',
        `master_list: [${addr(3)}]`,
        `agent_list: [${addr(4)}, ${addr(5)}, ${addr(6)}]`,
        `public_agent_list: [${addr(7)}]`,
        'resolvers: [8.8.8.8]',
        // ssh_config's User and IdentityFile beat these for every host.
        'ssh_user: nobody-from-yaml',
        'ssh_key_path: id_ed25519',
        '',
      ].join('\n'),
    );
    // The bastions, from an Included file.
    await writeFile(
      path.join(work, 'includes', 'bastions.conf'),
      [
        `Host bastion-a`,
        `  HostName ${addr(1)}`,
        `Host bastion-b`,
        `  HostName ${addr(2)}`,
        `  ProxyJump bastion-a`,
        '',
      ].join('\n'),
    );
    await writeFile(
      path.join(genconf, 'ssh_config'),
      [
        `Include ${path.join(work, 'includes')}/*.conf`,
        `Host ${behindA.map(addr).join(' ')}`,
        '  ProxyJump bastion-a',
        `Host ${addr(twoHop)}`,
        '  ProxyJump bastion-a,bastion-b',
        `Host ${addr(4)}`,
        '  User root',
        `  IdentityFile ${path.join(work, 'id_rsa')}`,
        `Host ${addr(5)}`,
        '  HostKeyAlias cluster-5-alias',
        'Host *',
        '  User centos',
        `  IdentityFile ${path.join(work, 'id_ed25519')}`,
        '  IdentitiesOnly yes',
        '  ConnectTimeout 60', // generous: the lab shares a loaded machine; nothing here measures time
        '  ForwardX11 no',
        '',
      ].join('\n'),
    );
    // Host 4 accepts root with the RSA key only: a login there proves the per-host user and key.
    const rsaPub = execFileSync('ssh-keygen', ['-y', '-f', lab.keys.rsa], { encoding: 'utf8' }).trim();
    await lab.exec(4, `printf '%s\\n' '${rsaPub}' > /etc/genconf-lab/sshd/authorized_keys/root`);
    expect(await main(['--genconf', '--genconf-dir', genconf], work)).toBe(0);

    // The cluster and bastion B refuse root-owned connections, i.e. this process, but not sshd's forwarding.
    removeChain(chain);
    process.once('exit', () => removeChain(chain));
    expect(iptables(['-N', chain])).toBe(true);
    expect(iptables(['-I', 'OUTPUT', '-j', chain])).toBe(true);
    for (const i of [2, 3, 4, 5, 6, 7])
      iptables([
        '-A',
        chain,
        '-p',
        'tcp',
        '-d',
        addr(i),
        '--dport',
        '22',
        '-m',
        'owner',
        '--uid-owner',
        '0',
        '-j',
        'REJECT',
        '--reject-with',
        'tcp-reset',
      ]);
  }, LONG);

  afterAll(async () => {
    if (chain) removeChain(chain);
    await lab?.down();
    if (work) await rm(work, { recursive: true, force: true });
  }, LONG);

  it(
    'the cluster refuses direct connections from this machine',
    async () => {
      const r = await cli(['--preflight', '--ssh-config', 'none']);
      expect(r.stdout).toContain('0 out of 5 hosts successfully completed');
      expect(r.stdout).toMatch(/connection refused/);
      expect(r.code).toBe(4);
    },
    LONG,
  );

  it(
    '--dry-run names the file, the per-host user, keys and bastions',
    async () => {
      const r = await cli(['--preflight', '--dry-run']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('[preflight] ssh_config: ');
      expect(r.stdout).toContain(`${addr(4)}:22 (agent, as root)`);
      // IdentityFile accumulates over the blocks that match, as in OpenSSH: host 4's own key first.
      expect(r.stdout).toContain(
        `keys: ${path.join(work, 'id_rsa')}, ${path.join(work, 'id_ed25519')} [ssh_config]; through centos@${addr(1)}:22`,
      );
      expect(r.stdout).toContain(`through centos@${addr(1)}:22 > centos@${addr(2)}:22`);
      expect(r.stdout).toContain('host key as cluster-5-alias');
    },
    LONG,
  );

  it(
    'preflight through the bastions (one connection to each), with per-host users and keys and a two-hop chain',
    async () => {
      const [a0, b0] = [await centosLogins(1), await centosLogins(2)];
      const r = await cli(['--preflight', '--json', '-v']);
      expect(r.stderr).toContain('5 out of 5 hosts successfully completed');
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/ssh_config: keys ignored \(genconf does not use them\): ForwardX11/);
      expect(r.stderr).toMatch(new RegExp(`${addr(4).replace(/\./g, '\\.')}:22 +root +agent +ok`));
      const events = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const host4 = events.find((e) => e.type === 'host' && e.host === `${addr(4)}:22` && e.state === 'connected')!;
      expect(host4).toMatchObject({
        user: 'root',
        keys: [path.join(work, 'id_rsa'), path.join(work, 'id_ed25519')],
        agent: false,
        jump: [`centos@${addr(1)}:22`],
      });
      expect(JSON.stringify(events)).not.toContain('PRIVATE KEY');
      // One connection to bastion A carried all five tunnels (four hosts and bastion B), one to B carried host 7's.
      expect((await centosLogins(1)) - a0).toBe(1);
      expect((await centosLogins(2)) - b0).toBe(1);
    },
    LONG,
  );

  it(
    'opens another bastion connection only when one is full (MaxSessions)',
    async () => {
      const file = path.join(genconf, 'ssh_config');
      const cfg = loadSshConfig(file);
      const transport = new SshTransport({
        connectTimeoutMs: 60_000,
        keepaliveIntervalMs: 5000,
        keepaliveCountMax: 3,
        hostKeyChecking: 'strict',
        knownHostsFile: path.join(genconf, 'known_hosts'),
        maxChannels: 2,
      });
      const a0 = await centosLogins(1);
      const hosts = behindA.map((i) => {
        const r = resolveHostSsh(addr(i), undefined, {
          sshConfig: cfg,
          flags: {},
          defaultUser: 'centos',
          defaultPort: 22,
          baseDir: work,
          home: os.homedir(),
          localUser: 'root',
        });
        return { address: addr(i), port: r.port, user: r.user, label: `${addr(i)}:22`, ssh: r.ssh };
      });
      const conns = await Promise.all(hosts.map((h) => transport.connect(h)));
      const outs = await Promise.all(conns.map((c) => c.exec('cat /etc/genconf-lab/ip')));
      expect(outs.map((o) => o.stdout.trim())).toEqual(behindA.map(addr));
      await Promise.all(conns.map((c) => c.close()));
      await transport.closeAll();
      // Four tunnels, two per connection.
      expect((await centosLogins(1)) - a0).toBe(2);
    },
    LONG,
  );

  it(
    'an authentication failure through the bastion names every key tried, in order',
    async () => {
      const cfg = loadSshConfig(path.join(genconf, 'ssh_config'));
      const transport = new SshTransport({
        connectTimeoutMs: 60_000,
        keepaliveIntervalMs: 5000,
        keepaliveCountMax: 3,
        hostKeyChecking: 'strict',
        knownHostsFile: path.join(genconf, 'known_hosts'),
      });
      const r = resolveHostSsh(
        addr(4),
        { user: 'root', key_path: 'missing_key' },
        {
          sshConfig: cfg,
          flags: {},
          defaultUser: 'centos',
          defaultPort: 22,
          baseDir: work,
          home: os.homedir(),
          localUser: 'root',
        },
      );
      // Host 4's root takes the RSA key only: the ed25519 key is refused after the missing override key was skipped.
      r.ssh.identityFiles.push(path.join(work, 'id_ed25519'));
      const err = await transport
        .connect({ address: addr(4), port: 22, user: 'root', label: `${addr(4)}:22`, ssh: r.ssh })
        .then(
          () => undefined,
          (e: Error) => e,
        );
      await transport.closeAll();
      expect(err?.message).toMatch(
        /authentication failed for user 'root'; tried key .*missing_key \(unusable: does not exist\), then publickey with the ssh-ed25519 key SHA256:\S+ \(.*id_ed25519\)/,
      );
    },
    LONG,
  );

  it(
    'forwards the agent only to a host whose ssh_config says ForwardAgent yes',
    async () => {
      const sock = path.join(work, 'agent.sock');
      const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
      try {
        for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 20));
        const text = (await readFile(path.join(genconf, 'ssh_config'), 'utf8')).replace(
          'Host *\n',
          `Host ${addr(6)}\n  ForwardAgent yes\n  IdentitiesOnly no\nHost *\n`,
        );
        await writeFile(path.join(work, 'fwd_ssh_config'), text);
        const cfg = loadSshConfig(path.join(work, 'fwd_ssh_config'));
        const transport = new SshTransport({
          connectTimeoutMs: 60_000,
          keepaliveIntervalMs: 5000,
          keepaliveCountMax: 3,
          hostKeyChecking: 'strict',
          knownHostsFile: path.join(genconf, 'known_hosts'),
          agent: sock,
        });
        const seen: string[] = [];
        for (const i of [3, 6]) {
          const r = resolveHostSsh(addr(i), undefined, {
            sshConfig: cfg,
            flags: {},
            defaultUser: 'centos',
            defaultPort: 22,
            baseDir: work,
            home: os.homedir(),
            localUser: 'root',
          });
          const c = await transport.connect({
            address: addr(i),
            port: 22,
            user: r.user,
            label: `${addr(i)}:22`,
            ssh: r.ssh,
          });
          seen.push((await c.exec('echo "${SSH_AUTH_SOCK:-none}"')).stdout.trim());
          await c.close();
        }
        await transport.closeAll();
        expect(seen[0]).toBe('none');
        expect(seen[1]).toMatch(/^\/tmp\/ssh-/);
      } finally {
        agent.kill();
      }
    },
    LONG,
  );

  it(
    'a bastion killed mid-run fails every host behind it as unreachable, naming the bastion once',
    async () => {
      let killed: Promise<void> | undefined;
      const r = await cli(['--preflight', '--json'], (chunk) => {
        if (!killed && chunk.includes('"state":"connected"')) killed = lab.kill(1);
      });
      await killed;
      expect(r.code).toBe(4);
      const summary = r.stderr;
      expect(summary.match(new RegExp(`bastion ${addr(1).replace(/\./g, '\\.')}:22 unreachable`, 'g'))).toHaveLength(1);
      expect(summary).toMatch(/5 hosts behind it could not be reached/);
      const results = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((e) => e.type === 'host_result');
      expect(results).toHaveLength(5);
      for (const h of results) {
        expect(h.status).toBe('unreachable');
        expect((h.via as { bastion: string }).bastion).toBe(`${addr(1)}:22`);
        expect(String(h.reason)).not.toMatch(/timed out/);
      }
      await lab.heal(1);
    },
    LONG,
  );

  it(
    'a changed host key on the bastion stops every host behind it',
    async () => {
      await lab.rotateHostKey(1);
      const r = await cli(['--preflight']);
      expect(r.code).toBe(4);
      expect(r.stdout).toMatch(new RegExp(`bastion ${addr(1).replace(/\./g, '\\.')}:22 unreachable: .*host key`, 'i'));
      expect(r.stdout).toContain('5 hosts behind it could not be reached');
      expect(r.stdout).toContain('0 out of 5 hosts successfully completed');
      // The operator confirms the new key: the run goes through again.
      await writeKnownHosts();
      const again = await cli(['--preflight']);
      expect(again.stdout).toContain('5 out of 5 hosts successfully completed');
      expect((await readFile(path.join(genconf, 'known_hosts'), 'utf8')).split('\n').filter(Boolean)).toHaveLength(8);
    },
    LONG,
  );
  it(
    'deploy through the bastions',
    async () => {
      const a0 = await centosLogins(1);
      const r = await cli(['--deploy']);
      expect(r.stdout).toContain('5 out of 5 hosts successfully completed install_dcos stage.');
      expect(r.code).toBe(0);
      // Masters then agents: the bastion connection may be reopened between the phases, never once per host.
      expect((await centosLogins(1)) - a0).toBeLessThanOrEqual(2);
    },
    LONG,
  );
});
