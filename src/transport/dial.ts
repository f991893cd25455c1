/**
 * Dialling a host: TCP, the SSH handshake, host key verification and authentication.
 *
 * - TCP_NODELAY (tcp.ts): without it two Nagle/delayed-ACK stalls (~40 ms each) sit in every handshake and every small
 *   request/response; with it one host connects + runs `true` in ~50 ms instead of 100–145 ms (loopback lab).
 * - Keepalive: a blackholed host otherwise hangs an open session for as long as TCP retransmits (many minutes).
 * - The algorithms offered (key exchange, host key types) and why: algorithms.ts.
 */
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { AnyAuthMethod, AuthenticationType, ConnectConfig } from 'ssh2';
import { InputError } from '../errors.js';
import { SSH_LIMITS } from '../config/ssh-settings.js';
import { ConnectError, DroppedBeforeBannerError } from './errors.js';
import { hostKeyAlgorithms, KEX } from './algorithms.js';
import { tcpConnect, timeoutError } from './tcp.js';
import { identWatch } from './ident-watch.js';
import type { Identity } from './identity.js';
import type { HostKeyVerdict, KnownHosts } from './known-hosts.js';
import type { SshTransportOptions } from './options.js';
import { abortReason } from './timing.js';
import type { HostTarget } from './transport.js';

const { Client } = ssh2;
export type SshClient = InstanceType<typeof Client>;

/** A connected, authenticated client and its socket (destroyed directly when the host stops answering). */
export interface Dialed {
  client: SshClient;
  sock: Duplex;
}

/** How a host with ssh_config settings is dialled (jump.ts); a plain host uses none of these. */
export interface DialVia {
  /** Where to dial (HostName). */
  address: string;
  /** The name its host key is checked under (HostKeyAlias, else the address dialled). */
  keyName: string;
  /** A stream to the host through a bastion, instead of a TCP connection. */
  sock?: (deadline: number, signal?: AbortSignal) => Promise<Duplex>;
  /** When the whole chain started: the timeout counts from there. */
  deadline?: number;
  agentForward?: boolean;
}

/** The wait before retry `attempt` (1-based): base × 2^(attempt-1), capped at 16 × base, jittered to 50–150%. */
export function retryDelayMs(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const plain = baseMs * 2 ** Math.min(attempt - 1, 4);
  return Math.round(plain * (0.5 + random()));
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Open one authenticated SSH connection (see dialOnce). A connection sshd drops before its banner — what sshd does
 * above MaxStartups when many hosts (or many addresses behind one sshd) are dialled at once — is retried a bounded
 * number of times after a jittered, doubling backoff, each retry said through `onNote` (the host's log). Nothing
 * else is retried: an authentication, host-key or timeout failure fails at once. A connection through a bastion is
 * not retried here (its stream belongs to jump.ts). Each attempt has the whole connect timeout.
 */
export async function dial(
  host: HostTarget,
  identity: Identity,
  knownHosts: KnownHosts,
  options: SshTransportOptions,
  signal?: AbortSignal,
  via?: DialVia,
  onNote?: (message: string) => void,
): Promise<Dialed> {
  const retries = via?.sock ? 0 : (options.connectRetries ?? SSH_LIMITS.connectRetries.default);
  const base = options.connectRetryBackoffMs ?? SSH_LIMITS.connectRetryBackoffMs.default;
  for (let attempt = 1; ; attempt++) {
    try {
      const dialed = await dialOnce(host, identity, knownHosts, options, signal, via);
      if (attempt > 1) onNote?.(`${host.label}: connected on attempt ${attempt} of ${retries + 1}`);
      return dialed;
    } catch (err) {
      if (!(err instanceof DroppedBeforeBannerError) || signal?.aborted) throw err;
      if (attempt > retries) {
        if (retries === 0) throw err;
        throw new DroppedBeforeBannerError(
          host.label,
          `${err.message} (${attempt} attempts, each dropped before the SSH banner)`,
          err.hint,
        );
      }
      const wait = retryDelayMs(attempt, base);
      onNote?.(
        `${host.label}: sshd dropped the connection before its banner (attempt ${attempt} of ${retries + 1}; too many connections at once, sshd MaxStartups); retrying in ${wait} ms`,
      );
      await sleep(wait, signal);
    }
  }
}

/**
 * Open one authenticated SSH connection: TCP (with TCP_NODELAY), handshake with the host key checked against
 * known_hosts, then the key and/or the agent. Everything within `connectTimeoutMs`; every failure a ConnectError
 * whose kind and hint say what to fix.
 */
async function dialOnce(
  host: HostTarget,
  identity: Identity,
  knownHosts: KnownHosts,
  options: SshTransportOptions,
  signal?: AbortSignal,
  via?: DialVia,
): Promise<Dialed> {
  if (signal?.aborted) throw abortReason(signal);
  const label = host.label;
  if (!identity.key && !identity.keys?.length && !identity.agent) {
    throw new ConnectError(
      'auth',
      label,
      `${label}: no way to authenticate as '${host.user}': no SSH key and no ssh-agent`,
      'set ssh_key_path in config.yaml, or start ssh-agent and set SSH_AUTH_SOCK',
    );
  }
  const started = Date.now();
  const deadline = via?.deadline ?? started + options.connectTimeoutMs;
  const sock: Duplex = via?.sock
    ? await via.sock(deadline, signal)
    : await tcpConnect(options, via ? { ...host, address: via.address } : host, deadline, signal);
  const keyName = via?.keyName ?? host.address;
  // The peer may hang up while known_hosts is read, before ssh2 listens on the socket; ssh2 would then wait for a
  // handshake on a dead socket until the connect timeout. Remember it and fail at once instead.
  let closedEarly = false;
  const onEarlyClose = (): void => {
    closedEarly = true;
  };
  sock.once('close', onEarlyClose);
  sock.on('error', onEarlyClose);
  let knownTypes: string[];
  try {
    knownTypes = await knownHosts.knownKeyTypes(keyName, host.port);
  } catch (err) {
    sock.destroy();
    throw new InputError(`cannot read known_hosts ${knownHosts.file}: ${(err as Error).message}`, knownHosts.file);
  } finally {
    sock.off('close', onEarlyClose);
    sock.off('error', onEarlyClose);
  }
  if (closedEarly || sock.destroyed) {
    sock.destroy();
    throw new DroppedBeforeBannerError(
      host.label,
      `${host.label}: the host closed the connection during the SSH handshake`,
      'too many connections at once (sshd MaxStartups), sshd refusing this client, or a firewall',
    );
  }
  const remaining = deadline - Date.now();
  if (remaining <= 0) {
    sock.destroy();
    throw timeoutError(options, host, 'TCP connect');
  }

  return new Promise<Dialed>((resolve, reject) => {
    const client = new Client();
    let verdict: HostKeyVerdict | undefined;
    let hostKeyError: Error | undefined;
    let serverMethods: string[] | undefined;
    const tried: string[] = [];
    let settled = false;
    // Until the server's identification line ("SSH-2.0-…") has arrived on the socket, a close or a reset is sshd
    // dropping the connection before its banner (MaxStartups), which dial() retries. Watched from client.connect on.
    const ident = identWatch();
    const beforeBanner = (): boolean => !ident.seen();
    // Every key in order, then the agent, as OpenSSH offers them; each named in an auth failure.
    const methods: Array<AnyAuthMethod & { label: string }> = [];
    const keys = identity.keys ?? (identity.key ? [{ key: identity.key, label: identity.keyLabel ?? 'key' }] : []);
    for (const k of keys)
      methods.push({ type: 'publickey', username: host.user, key: k.key, label: `publickey with the ${k.label}` });
    if (identity.agent)
      methods.push({
        type: 'agent',
        username: host.user,
        agent: identity.agent,
        label: `ssh-agent (${identity.agent})`,
      });
    tried.push(...(identity.skipped ?? []));

    const cleanup = (): void => {
      ident.stop();
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      cleanup();
      client.removeAllListeners('ready');
      client.on('error', () => undefined);
      client.end();
      sock.destroy();
      reject(err);
    };
    const timer = setTimeout(
      () => fail(timeoutError(options, host, verdict ? 'SSH authentication' : 'SSH handshake')),
      remaining,
    );
    const onAbort = (): void => fail(abortReason(signal!));
    signal?.addEventListener('abort', onAbort, { once: true });

    client.once('ready', () => {
      if (settled) return;
      settled = true;
      cleanup();
      resolve({ client, sock });
    });
    client.on('error', (err: Error & { level?: string }) => {
      if (settled) return;
      // An unusable agent (dead SSH_AUTH_SOCK) is not fatal: ssh2 goes on with the next method.
      if (err.level === 'agent') {
        const i = tried.findIndex((t) => t.startsWith('ssh-agent'));
        if (i >= 0) tried[i] = `${tried[i]} (unusable: ${err.message})`;
        return;
      }
      if (verdict && !verdict.ok)
        return fail(new ConnectError(verdict.kind, label, `${label}: ${verdict.message}`, verdict.hint));
      if (hostKeyError) {
        return fail(
          new ConnectError(
            'network',
            label,
            `${label}: cannot record the host key in ${knownHosts.file}: ${hostKeyError.message}`,
          ),
        );
      }
      if (err.level === 'client-authentication') {
        const accepts = serverMethods ? serverMethods.join(', ') : 'unknown';
        return fail(
          new ConnectError(
            'auth',
            label,
            `${label}: authentication failed for user '${host.user}'; tried ${tried.length > 0 ? tried.join(', then ') : 'no method the host accepts'}; the host accepts: ${accepts}`,
            `check ssh_user, and that the public key is in ~${host.user}/.ssh/authorized_keys on the host`,
          ),
        );
      }
      if (err.level === 'client-timeout') return fail(timeoutError(options, host, 'SSH handshake'));
      // A reset, or ssh2's "lost before handshake" (the socket ended): not garbage in place of a banner.
      if (beforeBanner() && (err.level === 'client-socket' || /lost before handshake/i.test(err.message)))
        return fail(
          new DroppedBeforeBannerError(
            label,
            `${label}: sshd dropped the connection before its banner: ${err.message}`,
            'too many connections at once (sshd MaxStartups), or a firewall/TCP wrapper',
          ),
        );
      fail(
        new ConnectError(
          'network',
          label,
          `${label}: SSH handshake failed: ${err.message}`,
          /lost before handshake|ECONNRESET/i.test(err.message)
            ? 'sshd closed the connection before the handshake: too many connections at once (sshd MaxStartups), or a firewall/TCP wrapper'
            : undefined,
        ),
      );
    });
    client.on('close', () => {
      if (!settled) {
        if (beforeBanner())
          return fail(
            new DroppedBeforeBannerError(
              label,
              `${label}: sshd closed the connection before its banner`,
              'too many connections at once (sshd MaxStartups), sshd refusing this client, or a firewall',
            ),
          );
        fail(
          new ConnectError(
            'network',
            label,
            `${label}: the host closed the connection during the SSH handshake`,
            'too many connections at once (sshd MaxStartups), sshd refusing this client, or a firewall',
          ),
        );
      }
    });

    client.connect({
      sock,
      username: host.user,
      readyTimeout: remaining + 1000, // our own timer fires first, with the better message
      keepaliveInterval: options.keepaliveIntervalMs,
      keepaliveCountMax: options.keepaliveCountMax,
      // Agent forwarding only for a host whose ssh_config says ForwardAgent yes.
      ...(via?.agentForward && identity.agent ? { agent: identity.agent, agentForward: true } : {}),
      algorithms: { kex: KEX, serverHostKey: hostKeyAlgorithms(knownTypes), compress: ['none'] },
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
        knownHosts.verify(keyName, host.port, key).then(
          (v) => {
            verdict = v;
            verify(v.ok);
          },
          (err: Error) => {
            hostKeyError = err;
            verify(false);
          },
        );
      },
      authHandler: (
        methodsLeft: AuthenticationType[] | null,
        _partial: boolean | null,
        next: (m: AnyAuthMethod | false) => void,
      ) => {
        if (methodsLeft) serverMethods = methodsLeft;
        for (;;) {
          const m = methods.shift();
          if (!m) return next(false);
          const serverType = m.type === 'agent' ? 'publickey' : m.type;
          if (methodsLeft && !methodsLeft.includes(serverType)) continue;
          tried.push(m.label);
          const { label: _label, ...method } = m;
          return next(method);
        }
      },
    } as ConnectConfig);
    ident.watch(sock);
  });
}
