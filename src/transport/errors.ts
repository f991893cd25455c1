/**
 * The transport's failures, as classes. The runner tells them apart with `instanceof`, never by their message text
 * (a remote path may contain any word). The real transport (ssh.ts) and the fake (test/fakes/fake-transport.ts) use
 * exactly these classes in exactly the same cases; test/transport/contract.ts holds the cases both must pass.
 *
 * - connect() rejects with ConnectError (the host never became usable: unreachable in the summary).
 * - exec() never rejects because of the host: it resolves with an ExecResult whose `failure` is a
 *   CommandCutOffError (timeout, interrupt, connection lost, no exit status) or a ChannelRefusedError.
 * - putFile()/putStream() reject with a TransferError subclass: TransferStalledError (no byte moved for the stall
 *   timeout) or TransferFailedError (the host answered with an error status, or the connection went away), or with
 *   InterruptedError when their signal was aborted.
 *
 * Every message names the host and, where a limit was hit, the option that raises it.
 */
import { ExitCode } from '../exit-codes.js';
import { GenconfError } from '../errors.js';

export type ConnectFailureKind =
  'refused' | 'timeout' | 'auth' | 'host-key-changed' | 'host-key-unknown' | 'dns' | 'network';

/** Base of every failure that the transport reports about a host. */
export abstract class TransportError extends GenconfError {
  constructor(
    /** The host's label, e.g. `10.0.0.1:22`. */
    readonly host: string,
    message: string,
    exitCode: ExitCode,
    hint?: string,
  ) {
    super(message, exitCode, hint);
  }
}

/** The host could not be reached or authenticated; `kind` says which way. */
export class ConnectError extends TransportError {
  constructor(
    readonly kind: ConnectFailureKind,
    host: string,
    message: string,
    hint?: string,
  ) {
    super(host, message, ExitCode.HOSTS_UNREACHABLE, hint);
  }
}

/**
 * sshd closed (or reset) the connection before it sent its banner: what sshd does to connections above MaxStartups
 * (many hosts, or many addresses behind one sshd, dialled at once). Transient, so dial.ts retries it; never used for
 * an authentication or host-key failure.
 */
export class DroppedBeforeBannerError extends ConnectError {
  constructor(host: string, message: string, hint?: string) {
    super('network', host, message, hint);
  }
}

/** Why a started (or about to start) command has no exit status. */
export type CutOffReason = 'timeout' | 'interrupted' | 'connection-lost' | 'no-exit-status';

/** The command did not run to its end: cut by its timeout, by the signal, or by the connection going away. */
export class CommandCutOffError extends TransportError {
  constructor(
    host: string,
    readonly reason: CutOffReason,
    message: string,
  ) {
    super(host, message, ExitCode.HOSTS_FAILED);
  }
}

/** The host refused to open a session channel for the command (sshd's MaxSessions, or a policy). */
export class ChannelRefusedError extends TransportError {
  constructor(host: string, message: string) {
    super(
      host,
      message,
      ExitCode.HOSTS_FAILED,
      'the host refuses new SSH sessions: check sshd MaxSessions and its logs',
    );
  }
}

/** An upload to a connected host failed; see the subclasses. */
export abstract class TransferError extends TransportError {
  constructor(
    host: string,
    readonly remotePath: string,
    message: string,
    hint?: string,
  ) {
    super(host, message, ExitCode.HOSTS_FAILED, hint);
  }

  /** True when the transfer was stopped because no bytes moved for the stall timeout. */
  get stalled(): boolean {
    return this instanceof TransferStalledError;
  }
}

/** No byte of the upload moved for `stallMs`: the host or the network stalled. */
export class TransferStalledError extends TransferError {
  constructor(
    host: string,
    remotePath: string,
    readonly stallMs: number,
    message: string,
  ) {
    super(
      host,
      remotePath,
      message,
      'the host or the network stalled; raise the transfer stall timeout if the link is just very slow',
    );
  }
}

/**
 * The upload ended with an error: `remoteStatus` is what the host said (e.g. "No space left on device",
 * "Permission denied"); it is undefined when the connection went away instead.
 */
export class TransferFailedError extends TransferError {
  constructor(
    host: string,
    remotePath: string,
    message: string,
    readonly remoteStatus?: string,
  ) {
    super(host, remotePath, message);
  }
}

/** How a TCP-level error code maps onto a failure kind. */
export function kindOfSocketError(code: string | undefined): ConnectFailureKind {
  switch (code) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'ETIMEDOUT':
      return 'timeout';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
    case 'EAI_NODATA':
    case 'EAI_FAIL':
      return 'dns';
    default:
      return 'network';
  }
}
