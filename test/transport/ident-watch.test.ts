/**
 * identWatch: when the server's SSH identification line has arrived, from the bytes on the socket (what dial.ts uses to
 * tell a drop before the banner, retried as MaxStartups, from a later failure).
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { identWatch } from '../../src/transport/ident-watch.js';

/** Feed `chunks` through a paused stream (as ssh2 leaves it) and report seen() after each. */
function feed(chunks: string[]): boolean[] {
  const sock = new PassThrough();
  sock.pause();
  const w = identWatch();
  w.watch(sock);
  // The watch does not start the flow: ssh2 resumes the socket when it listens.
  expect(sock.readableFlowing).toBe(false);
  sock.resume();
  const after: boolean[] = [];
  for (const c of chunks) {
    sock.emit('data', Buffer.from(c, 'latin1'));
    after.push(w.seen());
  }
  return after;
}

describe('identWatch', () => {
  it('sees the identification line only once its line feed has arrived, however it is split', () => {
    const line = 'SSH-2.0-OpenSSH_9.6\r\n';
    expect(feed([...line])).toEqual([...line].map((_c, i) => i === line.length - 1));
    expect(feed(['SSH-2.0-x\n'])).toEqual([true]);
  });

  it('lines before it (a greeting, sshd’s "Exceeded MaxStartups") are not the banner', () => {
    expect(feed(['Exceeded MaxStartups\r\n'])).toEqual([false]);
    expect(feed(['HTTP/1.1 400 Bad Request\r\n\r\n'])).toEqual([false]);
    expect(feed(['hello\r\nnot SSH-2.0 here\r\n', 'SSH-2.0-x\r', '\n'])).toEqual([false, false, true]);
    expect(feed(['SSSH-2.0-x\n', 'xSSH-2.0-y\n'])).toEqual([false, false]);
    expect(feed(['SSH-2.0-x'])).toEqual([false]);
  });

  it('stops listening once seen, or when told to', () => {
    const sock = new PassThrough();
    const w = identWatch();
    w.watch(sock);
    expect(sock.listenerCount('data')).toBe(1);
    sock.emit('data', Buffer.from('SSH-2.0-x\r\n'));
    expect(sock.listenerCount('data')).toBe(0);
    expect(w.seen()).toBe(true);

    const other = new PassThrough();
    const v = identWatch();
    v.watch(other);
    v.stop();
    v.stop();
    expect(other.listenerCount('data')).toBe(0);
    other.emit('data', Buffer.from('SSH-2.0-x\r\n'));
    expect(v.seen()).toBe(false);
  });
});
