/**
 * Real nginx for the tests, run with the configuration `genconf --serve` generates (src/serve/nginx-conf.ts), on a
 * free loopback port, in the foreground as a child of the test process. `accessLog()` reads its access log (the
 * genconf format: `... "GET /path HTTP/1.1" <status> <bytes> range="<Range header>" ...`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { renderNginxConf } from '../../src/serve/nginx-conf.js';

export const NGINX = '/usr/sbin/nginx';

/** Why nginx cannot run here, or undefined. */
export function nginxUnavailable(): string | undefined {
  if (!fs.existsSync(NGINX)) return 'nginx is not installed (apt-get install nginx-light)';
  return undefined;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve, reject) => srv.once('error', reject).listen(0, host, resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

export interface AccessEntry {
  method: string;
  path: string;
  status: number;
  bytes: number;
  range: string;
}

export interface TestNginx {
  url: string;
  port: number;
  stateDir: string;
  confFile: string;
  accessLog(): AccessEntry[];
  stop(): Promise<void>;
}

const LINE = /"(\S+) (\S+) [^"]*" (\d{3}) (\d+) range="([^"]*)"/;

export function parseAccessLog(text: string): AccessEntry[] {
  const out: AccessEntry[] = [];
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (m)
      out.push({
        method: m[1]!,
        path: m[2]!,
        status: Number(m[3]),
        bytes: Number(m[4]),
        range: m[5] === '-' ? '' : m[5]!,
      });
  }
  return out;
}

async function waitListening(host: string, port: number, child: ChildProcess, errorLog: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (child.exitCode !== null)
      throw new Error(
        `nginx exited ${child.exitCode}: ${fs.existsSync(errorLog) ? fs.readFileSync(errorLog, 'utf8') : ''}`,
      );
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, host, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`nginx did not listen on ${host}:${port} within 10 s`);
}

/** Starts nginx serving `root` on `bind` (default 127.0.0.1) and a free port. */
export async function startNginx(root: string, bind = '127.0.0.1'): Promise<TestNginx> {
  const why = nginxUnavailable();
  if (why) throw new Error(why);
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nginx-test-'));
  fs.mkdirSync(path.join(stateDir, 'tmp'));
  const port = await freePort(bind);
  const confFile = path.join(stateDir, 'nginx.conf');
  const asRoot = process.getuid?.() === 0;
  fs.writeFileSync(confFile, renderNginxConf({ root, bind, port, stateDir, ...(asRoot ? { user: 'root' } : {}) }));
  const errorLog = path.join(stateDir, 'error.log');
  const t = spawnSync(NGINX, ['-t', '-q', '-e', errorLog, '-c', confFile], { encoding: 'utf8' });
  if (t.status !== 0) throw new Error(`nginx -t failed: ${t.stderr}`);
  const child = spawn(NGINX, ['-e', errorLog, '-c', confFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  await waitListening(bind, port, child, errorLog);
  let stopped = false;
  return {
    url: `http://${bind}:${port}`,
    port,
    stateDir,
    confFile,
    accessLog: () => parseAccessLog(fs.readFileSync(path.join(stateDir, 'access.log'), 'utf8')),
    async stop() {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGQUIT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      fs.rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
