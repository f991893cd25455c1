/** What the SSH transport is told by the command (timeouts, keys, limits); every part of transport/ssh*.ts reads it. */
import type { ParsedKey } from 'ssh2';
import type { HostKeyChecking } from './known-hosts.js';
import type { LoadedKey, PassphrasePrompt } from './keys.js';

export interface SshTransportOptions {
  /** TCP connect + SSH handshake + authentication, in total (`--connect-timeout`). */
  connectTimeoutMs: number;
  keepaliveIntervalMs: number;
  /** Unanswered keepalives before the connection is declared dead: detection takes interval × (count + 1). */
  keepaliveCountMax: number;
  hostKeyChecking: HostKeyChecking;
  knownHostsFile: string;
  /** A key from keys.ts (preferred: parsed once per run), a parsed ssh2 key, or the key file's contents. */
  privateKey?: LoadedKey | ParsedKey | Buffer | string;
  /** Read the key from this file (once, on first connect) when `privateKey` is not given. */
  privateKeyPath?: string;
  /** For an encrypted `privateKey` given as contents; otherwise GENCONF_SSH_KEY_PASSPHRASE, then `prompt`. */
  passphrase?: string;
  /** ssh-agent socket (SSH_AUTH_SOCK). Tried after the key. */
  agent?: string;
  /** Asked once for the passphrase of an encrypted key when no other source has it. */
  prompt?: PassphrasePrompt;
  /** Channels in flight per connection (1..10, default 8; sshd's MaxSessions default is 10). */
  maxChannels?: number;
  /**
   * SFTP write requests in flight per upload (default 8) and their size (default 128 KiB): 1 MiB buffered per upload.
   * Measured on the lab (10 hosts × 20 MiB at once): 8 × 128 KiB moved 58–72 MiB/s against 31–44 MiB/s for ssh2's
   * default 64 × 32 KiB, with half the memory; fewer, larger requests cost less per byte on both ends.
   */
  sftpConcurrency?: number;
  sftpChunkSize?: number;
  /** Default for PutOptions.stallTimeoutMs (default 60 s). */
  stallTimeoutMs?: number;
  /** Stored output per stream is capped (the tail is kept); callbacks still see everything. Default 8 MiB. */
  maxOutputBytes?: number;
  /**
   * A connection sshd drops before its banner (MaxStartups) is retried this many times, after a jittered backoff
   * that starts at `connectRetryBackoffMs` and doubles. Defaults: SshSettings (config/ssh-settings.ts SSH_LIMITS).
   */
  connectRetries?: number;
  connectRetryBackoffMs?: number;
  /** Non-fatal notices, e.g. a key file readable by others. Never given secrets. */
  onWarning?: (message: string) => void;
  env?: NodeJS.ProcessEnv;
}
