/**
 * `--serve [--port N] [--bind ADDR] [--print-config]`: serve genconf/serve with the system nginx, in the foreground,
 * with a generated configuration (src/serve/nginx-conf.ts), and print what to paste on each role. Ctrl-C (or
 * SIGTERM) stops nginx gracefully and exits 130. Exit 1 when serve/ is missing, nginx is not installed, its
 * configuration test fails or it stops on its own (the message says which). `--print-config` only prints the
 * configuration (exit 0): for operators who run their own nginx or a container.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { CommandContext } from '../cli/context.js';
import { ExitCode } from '../cli/exit-codes.js';
import { GenconfError, InputError } from '../errors.js';
import { renderNginxConf } from '../serve/nginx-conf.js';
import {
  defaultPort,
  findNginx,
  NGINX_INSTALL_HINT,
  roleCommands,
  scriptBootstrapUrl,
  serveInfo,
} from '../serve/serve.js';

/** Bound on nginx's graceful stop after Ctrl-C: open downloads are cut after this. */
const STOP_GRACE_MS = 10_000;

function workerUser(serveDir: string): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  // As root, nginx would run its workers as `nobody`, who may not read genconf/ (e.g. under /root). The owner of
  // serve/ can read it, and the workers do nothing but read it.
  const uid = statSync(serveDir).uid;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.split(':')[2] === String(uid));
  return line?.split(':')[0] ?? 'root';
}

async function listening(host: string, port: number): Promise<boolean> {
  const h = host === '0.0.0.0' ? '127.0.0.1' : host === '::' || host === '[::]' ? '::1' : host.replace(/^\[|\]$/g, '');
  return new Promise((resolve) => {
    const s = net.connect(port, h, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

export async function run(ctx: CommandContext): Promise<ExitCode> {
  const o = ctx.options;
  const serveDir = path.join(o.genconfDir, 'serve');
  const scriptFile = path.join(serveDir, 'dcos_install.sh');
  if (!existsSync(scriptFile)) {
    throw new InputError(
      `${path.relative(process.cwd(), scriptFile) || scriptFile} does not exist`,
      scriptFile,
      'run --genconf first to build genconf/serve',
    );
  }
  const port = o.servePort ?? defaultPort(scriptBootstrapUrl(readFileSync(scriptFile, 'utf8')));
  const bind = o.serveBind ?? '0.0.0.0';
  const stateDir = path.join(o.genconfDir, 'nginx');
  const user = workerUser(serveDir);
  const conf = renderNginxConf({ root: serveDir, bind, port, stateDir, ...(user !== undefined ? { user } : {}) });
  if (o.printConfig) {
    ctx.stdout.write(conf);
    return ExitCode.OK;
  }

  const nginx = findNginx();
  if (nginx === undefined)
    throw new GenconfError('nginx is not installed', ExitCode.CONFIG_INVALID, NGINX_INSTALL_HINT);
  mkdirSync(path.join(stateDir, 'tmp'), { recursive: true, mode: 0o755 });
  const confFile = path.join(stateDir, 'nginx.conf');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(confFile, conf);
  const errorLog = path.join(stateDir, 'error.log');
  const test = spawnSync(nginx, ['-t', '-q', '-e', errorLog, '-c', confFile], { encoding: 'utf8', timeout: 30_000 });
  if (test.status !== 0) {
    throw new GenconfError(
      `nginx rejected the generated configuration ${confFile}:\n${(test.stderr || test.stdout).trim()}`,
      ExitCode.CONFIG_INVALID,
    );
  }

  const child = spawn(nginx, ['-e', errorLog, '-c', confFile], { stdio: ['ignore', 'inherit', 'inherit'] });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ? null : code)),
  );
  let exitCode: number | null | undefined;
  void exited.then((c) => (exitCode = c));
  const onAbort = (): void => {
    // Graceful: nginx finishes the responses in flight; bounded, then it is cut.
    child.kill('SIGQUIT');
    setTimeout(() => child.kill('SIGTERM'), STOP_GRACE_MS).unref();
  };
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  try {
    for (let i = 0; exitCode === undefined && !(await listening(bind, port)); i++) {
      if (i > 500) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    if (exitCode === undefined && !ctx.signal.aborted) {
      const info = serveInfo(serveDir, bind, port);
      const human = o.json ? ctx.stderr : ctx.stdout;
      const accessLog = path.join(stateDir, 'access.log');
      if (o.json) {
        ctx.stdout.write(
          `${JSON.stringify({ v: 1, type: 'serving', root: serveDir, bind, port, accessLog, scriptSha256: info.scriptSha256, commands: roleCommands(info) })}\n`,
        );
      }
      human.write(`Serving ${serveDir} on ${bind}:${port} with ${nginx} (access log ${accessLog}). Ctrl-C stops it.\n`);
      if (info.warning) ctx.stderr.write(`warning: ${info.warning}\n`);
      human.write(
        `On each node, as a user with sudo (dcos_install.sh sha256 ${info.scriptSha256}; it checks every artifact's):\n`,
      );
      for (const c of roleCommands(info)) human.write(`  ${c.role.padEnd(12)} ${c.command}\n`);
    }
    const code = await exited;
    if (ctx.signal.aborted) return ExitCode.OK; // main turns an interrupted run into 130
    const log = existsSync(errorLog) ? readFileSync(errorLog, 'utf8').trim().split('\n').slice(-5).join('\n') : '';
    throw new GenconfError(
      `nginx stopped on its own (exit ${code ?? 'by a signal'})${log ? `:\n${log}` : ''}`,
      ExitCode.CONFIG_INVALID,
    );
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  }
}
