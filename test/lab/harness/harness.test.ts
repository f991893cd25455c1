/**
 * The lab harness itself: hosts are isolated views, faults work, labs run side by side, and down() leaves nothing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeLab } from './gate.js';
import { LAB_ROOT, labAddress, labPrerequisites, startLab, type Lab } from './index.js';

let lab: Lab;

function tcpOpen(address: string, port: number): Promise<'open' | 'refused' | 'timeout'> {
  return new Promise((resolve) => {
    const s = net.connect({ host: address, port });
    const t = setTimeout(() => {
      s.destroy();
      resolve('timeout');
    }, 700);
    s.once('connect', () => {
      clearTimeout(t);
      s.destroy();
      resolve('open');
    });
    s.once('error', () => {
      clearTimeout(t);
      resolve('refused');
    });
  });
}

/** sshd processes listening for one of `addresses` (their command line names the address). */
function sshdsFor(addresses: string[]): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const cmd = execFileSync('cat', [`/proc/${p}/cmdline`]).toString();
      if (
        readlinkSync(`/proc/${p}/exe`) === '/usr/sbin/sshd' &&
        addresses.some((a) => cmd.includes(`ListenAddress=${a}:`))
      )
        out.push(Number(p));
    } catch {
      /* gone */
    }
  }
  return out;
}

describeLab('lab harness', () => {
  beforeAll(async () => {
    lab = await startLab({ count: 3, nodeStubs: true });
  });
  afterAll(async () => {
    await lab?.down();
  });

  it('reports its prerequisites as met here', () => {
    expect(labPrerequisites()).toEqual({ ok: true, missing: [] });
  });

  it('gives each host its own address, name, identity and private directories', async () => {
    expect(lab.hosts.map((h) => h.address)).toEqual([1, 2, 3].map((i) => labAddress(lab.block, i)));
    const marker = `harness-${process.pid}`;
    for (const h of lab.hosts) {
      const r = await lab.exec(
        h.index,
        `cat /etc/genconf-lab/ip /etc/genconf-lab/index; hostname; echo ${h.index} > /opt/${marker}`,
      );
      expect(r).toEqual({ code: 0, stdout: `${h.address}\n${h.index}\n${h.hostname}\n`, stderr: '' });
    }
    for (const h of lab.hosts) {
      expect((await lab.exec(h.index, `cat /opt/${marker}`)).stdout).toBe(`${h.index}\n`);
      expect(existsSync(path.join(h.fsRoot, 'opt', marker))).toBe(true);
    }
    expect(existsSync(`/opt/${marker}`)).toBe(false);
    // Every private directory is a mount inside the host; /tmp too.
    const mounts = (await lab.exec(1, 'cat /proc/self/mountinfo')).stdout;
    for (const d of [
      '/opt',
      '/etc/mesosphere',
      '/var/lib/dcos',
      '/etc/systemd',
      '/etc/profile.d',
      '/etc/rexray',
      '/usr/local/bin',
      '/root',
      `/home/${lab.sudoUser}`,
      '/tmp',
      '/etc/genconf-lab',
    ]) {
      expect(
        mounts.split('\n').some((l) => l.split(' ')[4] === d),
        d,
      ).toBe(true);
    }
    // Names of all hosts resolve from files inside a host (sudo never waits on DNS).
    expect((await lab.exec(1, `getent hosts ${lab.hosts[2]!.hostname}`)).stdout).toContain(lab.hosts[2]!.address);
  });

  it('puts the node stand-ins first on sudo’s path', async () => {
    const r = await lab.exec(2, `su ${lab.sudoUser} -c 'sudo -n sh -c "command -v systemctl; command -v docker"'`);
    expect(r.stdout).toBe('/usr/local/bin/systemctl\n/usr/local/bin/docker\n');
    expect(existsSync(path.join(lab.hosts[1]!.fsRoot, 'etc/systemd/system'))).toBe(true);
  });

  it('kill refuses, drop blackholes, slow still answers, heal restores; exec works on a killed host', async () => {
    const h = lab.hosts[0]!;
    await lab.kill(1);
    expect(await tcpOpen(h.address, h.port)).toBe('refused');
    expect((await lab.exec(1, 'cat /etc/genconf-lab/ip; hostname')).stdout).toBe(`${h.address}\n${h.hostname}\n`);
    await lab.heal(1);
    expect(await tcpOpen(h.address, h.port)).toBe('open');
    await lab.drop(1);
    expect(await tcpOpen(h.address, h.port)).toBe('timeout');
    await lab.heal(1);
    expect(await tcpOpen(h.address, h.port)).toBe('open');
    await lab.slow(1, 30);
    expect(await tcpOpen(h.address, h.port)).toBe('open');
    expect(await tcpOpen(h.address, h.port + 10000)).toBe('open');
    await lab.heal(1);
    expect(await tcpOpen(h.address, h.port + 10000)).toBe('refused');
    const ssh = spawnSync(
      'ssh',
      [
        '-i',
        lab.keys.ed25519,
        '-o',
        'BatchMode=yes',
        '-o',
        `UserKnownHostsFile=${lab.knownHostsFile}`,
        '-o',
        'StrictHostKeyChecking=yes',
        `root@${h.address}`,
        'hostname',
      ],
      { encoding: 'utf8' },
    );
    expect(ssh.stdout).toBe(`${h.hostname}\n`);
  });

  it('rotateHostKey changes the key the host presents but not knownHostsFile', async () => {
    const before = lab.hostPublicKey(3);
    await lab.rotateHostKey(3);
    expect(lab.hostPublicKey(3)).not.toBe(before);
    const scan = execFileSync('ssh-keyscan', ['-t', 'ed25519', lab.hosts[2]!.address], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    expect(scan).toContain(lab.hostPublicKey(3).split(' ')[1]);
    expect(execFileSync('cat', [lab.knownHostsFile]).toString()).toContain(before);
  });

  it('runs labs side by side in their own blocks, and down() leaves nothing behind (twice is fine)', async () => {
    const other = await startLab({ count: 2 });
    expect(other.block).not.toBe(lab.block);
    expect(other.hosts[0]!.address).not.toBe(lab.hosts[0]!.address);
    await other.drop(1);
    // A daemon a test left behind inside a host, in its own session: down() must still stop it.
    await other.exec(2, 'setsid sleep 4242 </dev/null >/dev/null 2>&1 &');
    expect(spawnSync('pgrep', ['-f', 'sleep 424[2]']).status).toBe(0);
    const dir = other.dir;
    const addrs = other.hosts.map((h) => h.address);
    expect(sshdsFor(addrs)).toHaveLength(2);
    await other.down();
    await other.down();
    expect(existsSync(dir)).toBe(false);
    expect(sshdsFor(addrs)).toEqual([]);
    expect(spawnSync('pgrep', ['-f', 'sleep 424[2]']).status).toBe(1);
    expect(execFileSync('iptables', ['-w', '-S']).toString()).not.toContain(`GENCONF-LAB-${other.block}`);
    expect(await tcpOpen(other.hosts[0]!.address, 22)).toBe('refused');
    // The first lab is untouched.
    expect(await tcpOpen(lab.hosts[1]!.address, 22)).toBe('open');
  });

  it('reclaims the block of a lab whose process died', async () => {
    const block = 98; // a fixed block nobody else uses
    const dir = path.join(LAB_ROOT, `b${block}`);
    const dead = spawnSync('true').pid;
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'block'), `${block}\n`);
    writeFileSync(path.join(dir, 'owner'), `${dead} 1\n`);
    const l = await startLab({ count: 1, block });
    expect(l.hosts[0]!.address).toBe(labAddress(block, 1));
    await expect(startLab({ count: 1, block })).rejects.toThrow(/in use by live process/);
    await l.down();
  });
});
