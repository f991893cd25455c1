/**
 * What `genconf --serve` needs besides the nginx configuration: where nginx is, the serve directory's bootstrap_url
 * and script checksum, the address nodes reach, and the commands an operator pastes on each role. Pure helpers plus
 * small file reads; the command (src/commands/serve.ts) owns the process.
 */
import { createHash } from 'node:crypto';
import { accessSync, constants, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The system nginx: PATH first, then where the Debian and CentOS packages put it. */
export function findNginx(envPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of [...envPath.split(':').filter(Boolean), '/usr/sbin', '/usr/local/sbin', '/sbin']) {
    const candidate = path.join(dir, 'nginx');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export const NGINX_INSTALL_HINT =
  'install the distribution package: `apt-get install nginx-light` (Debian/Ubuntu) or `yum install nginx` (CentOS/RHEL 7, ' +
  'from EPEL) and stop its own service if one starts; or run your own nginx with `genconf --serve --print-config`';

/** The bootstrap_url a rendered dcos_install.sh carries (its `BOOTSTRAP_URL='…'` line). */
export function scriptBootstrapUrl(script: string): string | undefined {
  const m = /^BOOTSTRAP_URL='([^'\n]*)'$/m.exec(script);
  return m?.[1];
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The default port: bootstrap_url's own when it is http(s) (the nodes will fetch there), else 8080. */
export function defaultPort(bootstrapUrl: string | undefined): number {
  if (bootstrapUrl === undefined) return 8080;
  try {
    const u = new URL(bootstrapUrl);
    if (u.protocol === 'http:') return u.port ? Number(u.port) : 80;
  } catch {
    // not a URL: the default
  }
  return 8080;
}

/** An address nodes can reach when nginx listens on every address: the first non-internal IPv4. */
export function reachableAddress(bind: string): string {
  if (bind !== '0.0.0.0' && bind !== '::' && bind !== '[::]')
    return bind.includes(':') && !bind.startsWith('[') ? `[${bind}]` : bind;
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

export interface ServeInfo {
  /** Where nodes fetch dcos_install.sh: bootstrap_url when it is http(s), else this server's address. */
  scriptBase: string;
  scriptSha256: string;
  /** A warning when the nodes would fetch the artifacts from somewhere else than this server. */
  warning?: string;
}

export function serveInfo(serveDir: string, bind: string, port: number): ServeInfo {
  const script = readFileSync(path.join(serveDir, 'dcos_install.sh'));
  const bootstrapUrl = scriptBootstrapUrl(script.toString('utf8'));
  const here = `http://${reachableAddress(bind)}:${port}`;
  const info: ServeInfo = { scriptBase: here, scriptSha256: sha256Hex(script) };
  if (bootstrapUrl === undefined || !/^https?:\/\//.test(bootstrapUrl)) {
    info.warning =
      `bootstrap_url is ${bootstrapUrl ?? '(unknown)'}: dcos_install.sh fetched from here still reads the bundle from there. ` +
      `Set bootstrap_url: ${here} in config.yaml and run --genconf again for nodes to pull from this server.`;
    return info;
  }
  info.scriptBase = bootstrapUrl.replace(/\/+$/, '');
  const u = new URL(bootstrapUrl);
  const urlPort = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
  if (u.protocol !== 'http:' || urlPort !== port) {
    info.warning = `bootstrap_url is ${bootstrapUrl}, not this server (port ${port}): nodes download the bundle from there.`;
  }
  return info;
}

/** The per-role commands: download, check the script's sha256 (it pins every artifact's), run. */
export function roleCommands(info: ServeInfo): Array<{ role: string; command: string }> {
  return ['master', 'slave', 'slave_public'].map((role) => ({
    role,
    command:
      `curl -fsSLO ${info.scriptBase}/dcos_install.sh && echo '${info.scriptSha256}  dcos_install.sh' | sha256sum -c - && ` +
      `sudo bash dcos_install.sh ${role}`,
  }));
}
