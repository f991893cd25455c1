/**
 * Whether the server has sent its SSH identification line yet ("SSH-2.0-…" up to its line feed; RFC 4253 4.2 allows
 * other lines before it, e.g. "Exceeded MaxStartups"). dial.ts tells a connection sshd dropped before its banner
 * (MaxStartups: retried) from one that failed later (not retried) by this, from the bytes on the socket it hands to
 * ssh2, instead of reading ssh2's private state.
 */
import type { Duplex } from 'node:stream';

const PREFIX = Buffer.from('SSH-');
const LF = 0x0a;

export interface IdentWatch {
  /** Start watching `sock`; see identWatch for when. */
  watch(sock: Duplex): void;
  /** The identification line has arrived in full. */
  seen(): boolean;
  /** Stop watching (idempotent; it stops by itself once the line has arrived). */
  stop(): void;
}

/**
 * A watch for the identification line. Start it with `watch(sock)` AFTER ssh2's `client.connect({ sock })`: ssh2
 * pauses the socket there, so this listener does not start the flow before ssh2 listens, and it sees each chunk before
 * ssh2 parses it. It only reads; a few bytes of state, whatever the server sends before the line.
 */
export function identWatch(): IdentWatch {
  let sock: Duplex | undefined;
  let seen = false;
  let lineStart = true;
  /** How much of PREFIX the current line has matched (PREFIX.length: inside the identification line). */
  let matched = 0;
  const onData = (chunk: Buffer): void => {
    // Indexed: it runs once or twice per connection, so it is never optimised, and for…of over a Buffer then
    // allocates an iterator result per byte.
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (matched === PREFIX.length) {
        if (b === LF) {
          seen = true;
          stop();
          return;
        }
        continue;
      }
      if (lineStart || matched > 0) {
        if (b === PREFIX[matched]) {
          matched++;
          lineStart = false;
          continue;
        }
        matched = 0;
      }
      lineStart = b === LF;
    }
  };
  const stop = (): void => {
    sock?.off('data', onData);
  };
  return {
    watch(s) {
      stop();
      sock = s;
      s.on('data', onData);
    },
    seen: () => seen,
    stop,
  };
}
