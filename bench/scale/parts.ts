/**
 * The client's CPU split into its two halves, each run alone as a whole process, to say where genconf's cost above
 * the floor (floor-client.ts) comes from (README "Where the client's time goes"):
 *
 *   runner     `genconf --preflight --json --junit` as the CLI runs it (config, plan, runner, judging, per-host logs,
 *              NDJSON, JUnit, summary, cluster record) over a transport that answers at once, in process, with
 *              exactly what a farm host prints: no network, no SSH. Its CPU is genconf's own per-host work.
 *   transport  genconf's SshTransport alone against the farm: connect (host key checked against known_hosts), the
 *              preflight's command with its stdin, close, `parallelism` hosts at once: what the floor does, through
 *              genconf's transport (timeouts, keepalive, channel limits, the kill marker, MaxStartups retries).
 *
 * usage: node dist/bench/scale/parts.js runner --genconf-dir=DIR [--parallelism=100] [--junit=FILE]
 *        node dist/bench/scale/parts.js transport --plan=floor-preflight.json
 * Prints one JSON line: the part, hosts, hosts that succeeded, and the process's CPU (user+sys, every thread, from
 * its start) and wall time. Exit 0 when every host succeeded.
 */
import { setMaxListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { parseArgs } from '../../src/cli/args.js';
import type { CommandContext } from '../../src/cli/context.js';
import { runSshStage } from '../../src/commands/ssh-stage.js';
import { SSH_LIMITS } from '../../src/config/ssh-settings.js';
import { loadPrivateKey } from '../../src/transport/keys.js';
import { command } from '../../src/transport/quote.js';
import { SshTransport } from '../../src/transport/ssh.js';
import type { Connection, ExecOptions, ExecResult, HostTarget, Transport } from '../../src/transport/transport.js';
import { fixedChecks, preflightReply } from './farm.js';
import type { ScaleFloorPlan } from './floor-client.js';
import { preflightStdin } from './preflight-stdin.js';

export interface PartResult {
  part: 'runner' | 'transport';
  hosts: number;
  ok: number;
  cpuMs: number;
  wallMs: number;
}

/** A later turn of the event loop: what a network round trip is to the code that waits for it. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A transport whose hosts answer the preflight at once, as a farm host does (farm.ts), and nothing else: any other
 * command exits 127, so a stage that sends something the farm would not answer fails here too.
 */
export function instantTransport(checks = fixedChecks(30)): Transport {
  return {
    async connect(host: HostTarget): Promise<Connection> {
      await turn();
      let closed = false;
      return {
        host,
        async exec(cmd: string, opts: ExecOptions = {}): Promise<ExecResult> {
          await turn();
          const preflight = /^sudo -n bash -s -- /.test(cmd) && !closed;
          const stdout = preflight ? preflightReply(host.address, checks) : '';
          const stderr = preflight ? '' : `instant transport: unsupported command: ${cmd.slice(0, 200)}\n`;
          if (stdout) opts.onStdout?.(stdout);
          if (stderr) opts.onStderr?.(stderr);
          return { exitCode: preflight ? 0 : 127, timedOut: false, stdout, stderr, durationMs: 0 };
        },
        putFile(): Promise<void> {
          return Promise.reject(new Error('instant transport: no uploads (the runner part measures preflight)'));
        },
        async close(): Promise<void> {
          closed = true;
          await turn();
        },
      };
    },
  };
}

/** Every byte written, dropped: the CLI's stdout and stderr, whose cost (a write to a file) is not what is measured. */
function sink(): Writable {
  return new Writable({
    write(_chunk, _enc, cb) {
      cb();
    },
  });
}

function flag(argv: string[], name: string, fallback?: string): string {
  const hit = argv.find((a) => a.startsWith(`--${name}=`));
  const v = hit?.slice(name.length + 3) ?? fallback;
  if (v === undefined) throw new Error(`--${name}=… is required`);
  return v;
}

function cpuMsSinceStart(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export async function runnerPart(genconfDir: string, parallelism: number, junit?: string): Promise<PartResult> {
  const t0 = performance.now();
  const options = parseArgs(
    [
      '--preflight',
      '--genconf-dir',
      genconfDir,
      '--host-key-checking',
      'strict',
      '--parallelism',
      String(parallelism),
      '--json',
      ...(junit ? ['--junit', junit] : []),
      '--no-color',
    ],
    process.cwd(),
  );
  let hosts = 0;
  let ok = 0;
  // The hosts are counted from the NDJSON the run writes, by prefix: parsing 10,000 records here would be the
  // bench's CPU, not genconf's. The sink writes whole lines only (report/ndjson.ts), so no record spans two writes.
  const record = '{"v":1,"type":"host_result",';
  const stdout = new Writable({
    write(chunk: Buffer, _enc, cb) {
      const text = chunk.toString();
      for (let at = text.indexOf(record); at >= 0; at = text.indexOf(record, at + record.length)) {
        hosts++;
        // The record's first "status" is the host's (its checks and steps come after it).
        if (text.startsWith('"status":"ok"', text.indexOf('"status":', at))) ok++;
      }
      cb();
    },
  });
  const ctx: CommandContext = {
    options,
    signal: new AbortController().signal,
    stdout,
    stderr: sink(),
    interactive: false,
  };
  await runSshStage(ctx, { makeTransport: () => Promise.resolve(instantTransport()) });
  return { part: 'runner', hosts, ok, cpuMs: cpuMsSinceStart(), wallMs: performance.now() - t0 };
}

export async function transportPart(plan: ScaleFloorPlan): Promise<PartResult> {
  const t0 = performance.now();
  if (plan.stage !== 'preflight') throw new Error('the transport part measures the preflight plan');
  // As the CLI makes it (commands/ssh-stage.ts makeTransport), with the floor's wait for a handshake.
  const transport = new SshTransport({
    connectTimeoutMs: 60_000,
    connectRetries: SSH_LIMITS.connectRetries.default,
    connectRetryBackoffMs: SSH_LIMITS.connectRetryBackoffMs.default,
    keepaliveIntervalMs: 5000,
    keepaliveCountMax: 3,
    hostKeyChecking: 'strict',
    knownHostsFile: plan.knownHostsFile,
    privateKey: await loadPrivateKey(plan.keyPath),
  });
  const stdin = preflightStdin(plan);
  let ok = 0;
  let next = 0;
  // Used as the runner uses it (orchestrate/run-host.ts, run-step.ts): a signal per host relaying the run's, given to
  // connect and to the command, a note callback, and output callbacks that keep the text.
  const run = new AbortController();
  // One relay per host in flight, as on the runner's stop signal (orchestrate/stop.ts): not a leak, so no warning.
  setMaxListeners(0, run.signal);
  const one = async (h: ScaleFloorPlan['hosts'][number]): Promise<void> => {
    const host = { address: h.address, port: h.port, user: plan.user, label: `${h.address}:${h.port}` };
    const hostStop = new AbortController();
    const relay = (): void => hostStop.abort(run.signal.reason);
    run.signal.addEventListener('abort', relay, { once: true });
    let conn: Connection | undefined;
    let out = '';
    let err = '';
    try {
      conn = await transport.connect(host, { signal: hostStop.signal, onNote: (m) => (err += m) });
      const r = await conn.exec(command(['sudo', '-n', 'bash', '-s', '--', plan.stagingDir, h.role]), {
        timeoutMs: 600_000,
        signal: hostStop.signal,
        stdin,
        onStdout: (chunk) => (out += chunk),
        onStderr: (chunk) => (err += chunk),
      });
      if (r.exitCode === 0 && out.length > 0) ok++;
    } catch {
      /* counted as not ok */
    } finally {
      run.signal.removeEventListener('abort', relay);
      await conn?.close();
    }
  };
  const worker = async (): Promise<void> => {
    while (next < plan.hosts.length) await one(plan.hosts[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(plan.parallelism, plan.hosts.length)) }, worker));
  return { part: 'transport', hosts: plan.hosts.length, ok, cpuMs: cpuMsSinceStart(), wallMs: performance.now() - t0 };
}

async function main(argv: string[]): Promise<number> {
  const [part, ...rest] = argv;
  let r: PartResult;
  if (part === 'runner') {
    const junit = rest.find((a) => a.startsWith('--junit='))?.slice('--junit='.length);
    r = await runnerPart(flag(rest, 'genconf-dir'), Number(flag(rest, 'parallelism', '100')), junit);
  } else if (part === 'transport') {
    r = await transportPart(JSON.parse(readFileSync(flag(rest, 'plan'), 'utf8')) as ScaleFloorPlan);
  } else {
    process.stderr.write('usage: parts.js runner --genconf-dir=DIR [--parallelism=P] [--junit=FILE]\n');
    process.stderr.write('       parts.js transport --plan=floor-preflight.json\n');
    return 2;
  }
  process.stdout.write(`${JSON.stringify(r)}\n`);
  return r.ok === r.hosts && r.hosts > 0 ? 0 : 1;
}

// Run as a script, not when a test imports it. A failure (a missing flag, an unreadable plan) is one line, exit 2.
if (process.argv[1]?.endsWith('parts.js')) {
  process.exitCode = await main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`parts.js: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  });
}
