/**
 * The seam between orchestration and the network. Stages and the runner only see these interfaces;
 * `ssh.ts` implements them over ssh2, `test/fakes/fake-transport.ts` scripts them for unit tests. How each fails
 * is part of the seam: see errors.ts, and test/transport/contract.ts for the cases both implementations pass.
 */
import type { ChannelRefusedError, CommandCutOffError, ConnectFailureKind } from './errors.js';

export type { ConnectFailureKind };

import type { HostSsh } from './host-ssh.js';

export interface HostTarget {
  /** IPv4 address or host name as listed in config.yaml. */
  address: string;
  port: number;
  user: string;
  /** How the host is named in logs and summaries, e.g. `10.0.0.1:22`. */
  label: string;
  /** Settings from an ssh_config file (HostName, keys, ProxyJump, …); absent when none is used. */
  ssh?: HostSsh;
}

export interface ExecOptions {
  /** Kill the command (close its channel) after this many ms; the result then has `timedOut: true`. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Bytes or a stream written to the command's stdin, then EOF. */
  stdin?: Buffer | string | NodeJS.ReadableStream;
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
}

export interface ExecResult {
  /** null when the command was killed by a signal, timed out or the connection dropped. */
  exitCode: number | null;
  signal?: string;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** Why there is no exit code (timeout, interrupted, connection lost, channel refused), naming the host. */
  error?: string;
  /** The same, typed: set exactly when `error` is. */
  failure?: CommandCutOffError | ChannelRefusedError;
}

export interface PutOptions {
  mode?: number;
  signal?: AbortSignal;
  /** Fail the transfer when no bytes moved for this long (transfers are judged by progress, not a flat cap). */
  stallTimeoutMs?: number;
  onProgress?: (bytesSent: number, totalBytes: number) => void;
}

/** One authenticated connection to one host; every step of that host in a run reuses it. */
export interface Connection {
  readonly host: HostTarget;
  /**
   * Run `command` (already shell-quoted: build it with `quote.ts`) through the remote user's shell. Never rejects
   * because of the host: a command that could not start or finish resolves with `exitCode: null` and `failure`.
   */
  exec(command: string, opts?: ExecOptions): Promise<ExecResult>;
  /** Upload a local file to `remotePath`. Rejects with a TransferError subclass, or InterruptedError on abort. */
  putFile(localPath: string, remotePath: string, opts?: PutOptions): Promise<void>;
  /** Upload a stream (e.g. a bundle built on the fly) to `remotePath`; `size`, when known, feeds onProgress. */
  putStream?(source: NodeJS.ReadableStream, remotePath: string, opts?: PutOptions & { size?: number }): Promise<void>;
  close(): Promise<void>;
}

export interface ConnectOptions {
  signal?: AbortSignal;
  /** What happened on the way that the host's log should say (e.g. a connection retried after a MaxStartups drop). */
  onNote?: (message: string) => void;
}

export interface Transport {
  /** Throws ConnectError (see errors.ts) when the host cannot be reached or authenticated. */
  connect(host: HostTarget, opts?: ConnectOptions): Promise<Connection>;
}
