/** The TCP part of dialling (dial.ts): the socket to sshd, and the timeout failure every part of dialling shares. */
import net from 'node:net';
import { ConnectError, kindOfSocketError } from './errors.js';
import type { SshTransportOptions } from './options.js';
import { abortReason, secs } from './timing.js';
import type { HostTarget } from './transport.js';

/** A connect timeout, naming the step it happened in and the option that raises it. */
export function timeoutError(options: SshTransportOptions, host: HostTarget, step: string): ConnectError {
  const t = secs(options.connectTimeoutMs);
  return new ConnectError(
    'timeout',
    host.label,
    `${host.label}: no SSH connection within ${t} (timed out during ${step})`,
    `raise --connect-timeout (now ${t}) if the host is only slow; otherwise check the address, that sshd listens on port ${host.port}, and firewalls`,
  );
}

/** A TCP connection with TCP_NODELAY, within the connect deadline; each failure a ConnectError with its kind and fix. */
export function tcpConnect(
  options: SshTransportOptions,
  host: HostTarget,
  deadline: number,
  signal?: AbortSignal,
): Promise<net.Socket> {
  const label = host.label;
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: host.address, port: host.port });
    sock.setNoDelay(true);
    let done = false;
    const finish = (err?: Error): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      sock.off('error', onError);
      if (err) {
        sock.destroy();
        reject(err);
      } else {
        resolve(sock);
      }
    };
    const onError = (err: NodeJS.ErrnoException): void => {
      const kind = kindOfSocketError(err.code);
      const what: Record<string, string> = {
        refused: `connection refused on port ${host.port} (nothing listens there)`,
        dns: `cannot resolve the host name '${host.address}' (${err.code})`,
        timeout: `TCP connection timed out (${err.code})`,
        network: `cannot reach the host: ${err.code ?? err.message}`,
      };
      const hint: Record<string, string> = {
        refused: `is sshd running on the host, and is the SSH port (${host.port}) right?`,
        dns: 'check the address in config.yaml, or use an IP address',
        timeout: 'raise --connect-timeout, or check routing and firewalls',
        network: 'check routing and firewalls between this machine and the host',
      };
      finish(new ConnectError(kind, label, `${label}: ${what[kind] ?? err.message}`, hint[kind]));
    };
    const onAbort = (): void => finish(abortReason(signal!));
    const timer = setTimeout(
      () => finish(timeoutError(options, host, 'TCP connect')),
      Math.max(0, deadline - Date.now()),
    );
    sock.once('connect', () => finish());
    sock.on('error', onError);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}
