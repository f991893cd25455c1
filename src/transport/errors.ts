/**
 * Typed failures of the transport. A ConnectError means the host never became usable (unreachable in the run's
 * summary); a TransferError means an upload failed on a connected host. Both name the host and, where a limit was
 * hit, the option that raises it, so the message alone tells the operator what to do.
 */
import { ExitCode } from '../cli/exit-codes.js';
import { GenconfError } from '../errors.js';
import type { ConnectFailureKind } from './transport.js';

export class ConnectError extends GenconfError {
  constructor(
    readonly kind: ConnectFailureKind,
    /** The host's label, e.g. `10.0.0.1:22`. */
    readonly host: string,
    message: string,
    hint?: string,
  ) {
    super(message, ExitCode.HOSTS_UNREACHABLE, hint);
  }
}

export class TransferError extends GenconfError {
  constructor(
    readonly host: string,
    readonly remotePath: string,
    message: string,
    /** True when the transfer was stopped because no bytes moved for the stall timeout. */
    readonly stalled = false,
    hint?: string,
  ) {
    super(message, ExitCode.HOSTS_FAILED, hint);
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
