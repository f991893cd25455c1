/**
 * Many addresses behind one sshd with a low MaxStartups (`2:100:2`: every unauthenticated connection above two is
 * dropped before the banner), dialled all at once by the runner on real sshd. Without retries some hosts end
 * unreachable; with the default retries (config/ssh-settings.ts) every host is reached and the host logs say which
 * connections were retried.
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ClusterPlan } from '../../src/derive/plan.js';
import { runStage } from '../../src/orchestrate/run-stage.js';
import { HostLogs } from '../../src/report/logs.js';
import { defineStage } from '../../src/stages/types.js';
import { SshTransport, type SshTransportOptions } from '../../src/transport/ssh.js';
import { clusterPlan } from '../fakes/cluster.js';
import { describeLab } from './harness/gate.js';
import { startLab, type Lab, type LabHost } from './harness/index.js';

const LONG = 180_000;
// sshd listens on at most 16 sockets (MAX_LISTEN_SOCKS): the host's own address and 14 more.
const ADDRESSES = 14;

/** Addresses of the lab's own block that no lab host uses (hosts are in 127.<20+b>.1.x): all answered by host 1. */
function aliases(h: LabHost): string[] {
  const prefix = h.address.split('.').slice(0, 2).join('.');
  return Array.from({ length: ADDRESSES }, (_, k) => `${prefix}.200.${k + 1}`);
}

/** One step per host: log in and run `true`. */
const HELLO = defineStage({
  name: 'preflight',
  summaryName: 'hello',
  title: 'Say hello',
  inputs: { required: [] },
  waves: [
    {
      name: 'all',
      hosts: (p) => p.hosts,
      steps: () => [
        { kind: 'exec', id: 'hello', title: 'Say hello', argv: ['true'], timeout: { ms: 60_000, option: 'test' } },
      ],
    },
  ],
});

describeLab('sshd MaxStartups drops on real sshd', () => {
  let lab: Lab;
  let work: string;
  let knownHosts: string;
  let plan: ClusterPlan;

  beforeAll(async () => {
    lab = await startLab({
      count: 1,
      sshdConfig: (h) => ['MaxStartups 2:100:2', ...aliases(h).map((a) => `ListenAddress ${a}:22`)],
    });
    work = await mkdtemp(path.join(os.tmpdir(), 'genconf-maxstartups-'));
    knownHosts = path.join(work, 'known_hosts');
    const key = lab.hostPublicKey(1);
    const all = aliases(lab.hosts[0]!);
    await writeFile(knownHosts, all.map((a) => `${a} ${key}\n`).join(''));
    plan = clusterPlan({
      master_list: JSON.stringify([all[0]]),
      agent_list: JSON.stringify(all.slice(1)),
      public_agent_list: '[]',
      ssh_user: 'root',
      ssh_parallelism: String(ADDRESSES),
    });
    expect(plan.hosts).toHaveLength(ADDRESSES);
  }, LONG);

  afterAll(async () => {
    await lab?.down();
    if (work) await rm(work, { recursive: true, force: true });
  }, LONG);

  async function runAll(logDir: string, over: Partial<SshTransportOptions> = {}) {
    const transport = new SshTransport({
      connectTimeoutMs: 30_000,
      keepaliveIntervalMs: 5000,
      keepaliveCountMax: 3,
      hostKeyChecking: 'strict',
      knownHostsFile: knownHosts,
      privateKeyPath: lab.keys.ed25519,
      env: {},
      ...over,
    });
    const logs = new HostLogs(logDir);
    const result = await runStage(HELLO, plan, { transport, listener: logs.listener });
    await logs.close();
    return result;
  }

  it(
    'without retries the drops leave hosts unreachable (the lab really drops)',
    async () => {
      const result = await runAll(path.join(work, 'logs-no-retry'), { connectRetries: 0 });
      const unreachable = result.hosts.filter((h) => h.status === 'unreachable');
      expect(unreachable.length).toBeGreaterThan(0);
      expect(unreachable[0]!.reason).toMatch(/before its banner/);
    },
    LONG,
  );

  it(
    'with the default retries every host is reached, and the host logs say which connections were retried',
    async () => {
      const logDir = path.join(work, 'logs');
      const result = await runAll(logDir);
      expect(result.hosts.map((h) => [h.host.address, h.status, h.reason ?? ''])).toEqual(
        plan.hosts.map((h) => [h.address, 'ok', '']),
      );
      const retried: string[] = [];
      for (const f of (await readdir(logDir)).filter((n) => n.endsWith('.stderr.log'))) {
        const text = await readFile(path.join(logDir, f), 'utf8');
        if (
          /sshd dropped the connection before its banner \(attempt 1 of 7; .*MaxStartups\); retrying in \d+ ms/.test(
            text,
          )
        ) {
          expect(text).toMatch(/connected on attempt \d of 7/);
          retried.push(f);
        }
      }
      expect(retried.length).toBeGreaterThan(0);
    },
    LONG,
  );
});
