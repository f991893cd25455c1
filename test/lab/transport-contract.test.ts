/**
 * The transport contract (test/transport/contract.ts) against real sshd hosts: the same cases the fake passes. Each
 * role has its own lab host, arranged once: 'refusing' is killed, 'full-disk' has a 64 KiB tmpfs mounted on its
 * staging directory (inside the host's own mount namespace, so sshd's sftp-server sees a really full disk),
 * 'stalls' is blackholed once an upload is moving, 'dies' is killed while its command runs, 'no-sessions' runs
 * sshd with MaxSessions 0 (logins work, every session channel is refused).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { SshTransport } from '../../src/transport/ssh.js';
import type { HostTarget } from '../../src/transport/transport.js';
import { transportContract, type ContractWorld, type HostRole } from '../transport/contract.js';
import { describeLab } from './harness/gate.js';
import { startLab, type Lab } from './harness/index.js';

const ROLES: HostRole[] = ['ok', 'refusing', 'dies', 'full-disk', 'stalls', 'closes', 'no-sessions'];
const UPLOAD_DIR = '/opt/dcos_install_tmp';
const LONG = 120_000;

describeLab('transport contract: real sshd (lab)', () => {
  let lab: Lab;
  let work: string;
  let bigFile: string;
  const index = (role: HostRole): number => ROLES.indexOf(role) + 1;

  beforeAll(async () => {
    lab = await startLab({ count: ROLES.length });
    work = mkdtempSync(path.join(tmpdir(), 'genconf-contract-'));
    bigFile = path.join(work, 'dcos-install.tar');
    writeFileSync(bigFile, randomBytes(24 * 1024 * 1024));
    for (const role of ROLES) {
      const r = await lab.exec(index(role), `mkdir -p ${UPLOAD_DIR}`);
      if (r.code !== 0) throw new Error(`cannot arrange ${role}: ${r.stderr}`);
    }
    const full = await lab.exec(index('full-disk'), `mount -t tmpfs -o size=64k genconf-full ${UPLOAD_DIR}`);
    if (full.code !== 0) throw new Error(`cannot mount the small tmpfs: ${full.stderr}`);
    await lab.kill(index('refusing'));
    // 'no-sessions': sshd restarted with MaxSessions 0 accepts logins and refuses every session channel.
    const ns = await lab.exec(index('no-sessions'), 'echo "MaxSessions 0" >> /etc/genconf-lab/sshd/sshd_config');
    if (ns.code !== 0) throw new Error(`cannot arrange no-sessions: ${ns.stderr}`);
    await lab.kill(index('no-sessions'));
    await lab.heal(index('no-sessions'));
  }, LONG);

  afterAll(async () => {
    await lab?.down();
    if (work) rmSync(work, { recursive: true, force: true });
  }, LONG);

  function target(role: HostRole): HostTarget {
    const h = lab.hosts[index(role) - 1]!;
    return { address: h.address, port: h.port, user: 'root', label: `${h.address}:${h.port}` };
  }

  async function waitRunning(i: number, pattern: string): Promise<void> {
    for (let k = 0; k < 500; k++) {
      // '[s]leep 6003' matches the sleep but not the shell that runs pgrep.
      if ((await lab.exec(i, `pgrep -f '[${pattern[0]}]${pattern.slice(1)}'`)).code === 0) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`${pattern} never started on host ${i}`);
  }

  function labWorld(): ContractWorld {
    const transport = new SshTransport({
      connectTimeoutMs: 10_000,
      // Far away: in the stall case the stall detector, not keepalive, must be what ends the upload.
      keepaliveIntervalMs: 30_000,
      keepaliveCountMax: 3,
      hostKeyChecking: 'strict',
      knownHostsFile: lab.knownHostsFile,
      privateKeyPath: lab.keys.ed25519,
      env: {},
    });
    return {
      transport: () => transport,
      host: async (role) => target(role),
      script: () => undefined,
      dieDuring: async (_conn, command) => {
        await waitRunning(index('dies'), command);
        await lab.kill(index('dies'));
      },
      uploadDir: UPLOAD_DIR,
      bigFile,
      stallOptions: () => {
        let dropped = false;
        return {
          stallTimeoutMs: 700,
          onProgress: (sent) => {
            if (!dropped && sent > 1024 * 1024) {
              dropped = true;
              void lab.drop(index('stalls'));
            }
          },
        };
      },
    };
  }

  transportContract(labWorld);
});
