import { describe, expect, it } from 'vitest';
import { FakeTransport } from '../fakes/fake-transport.js';

const host = { address: '10.0.0.1', port: 22, user: 'centos', label: '10.0.0.1:22' };

describe('FakeTransport', () => {
  it('records a command nobody programmed (which fails the test at its end) and answers it with exit 127', async () => {
    const t = new FakeTransport().onExec('hostname', { stdout: 'n1\n' });
    const conn = await t.connect(host);
    expect((await conn.exec('hostname')).stdout).toBe('n1\n');
    expect((await conn.exec('rm -rf /')).exitCode).toBe(127);
    expect(t.unexpected).toEqual(['10.0.0.1:22: exec rm -rf /']);
    await expect(conn.putFile('/a', '/b')).rejects.toThrow(/no upload programmed/);
    expect(t.unexpected).toHaveLength(2);
    t.unexpected.length = 0; // this test expected them
  });

  it('honours the timeout and the abort signal of a hanging command', async () => {
    const t = new FakeTransport().onExec('sleep', { hang: true });
    const conn = await t.connect(host);
    expect(await conn.exec('sleep', { timeoutMs: 5 })).toMatchObject({ exitCode: null, timedOut: true });
    const ac = new AbortController();
    const p = conn.exec('sleep', { signal: ac.signal });
    ac.abort();
    expect(await p).toMatchObject({ exitCode: null, timedOut: false });
  });
});
