/**
 * The transport contract: how a Transport behaves and fails, as cases that run unchanged against the scripted fake
 * (test/transport/contract-fake.test.ts) and against real sshd hosts (test/lab/transport-contract.test.ts). A world
 * only ARRANGES a situation (a host that refuses, a full disk, a host that dies mid-command); the case then uses the
 * Transport interface and asserts on what it returns, the same way for both. When the fake and ssh2 disagree, one of
 * the two suites fails.
 */
import { expect, it } from 'vitest';
import { InterruptedError } from '../../src/errors.js';
import {
  ChannelRefusedError,
  CommandCutOffError,
  ConnectError,
  TransferError,
  TransferFailedError,
  TransferStalledError,
} from '../../src/transport/errors.js';
import type { Connection, HostTarget, PutOptions, Transport } from '../../src/transport/transport.js';
import type { FakeResponse } from '../fakes/fake-transport.js';

/** Host roles a world provides; each case uses its own so that faults do not leak between cases. */
export type HostRole = 'ok' | 'refusing' | 'dies' | 'full-disk' | 'stalls' | 'closes' | 'no-sessions';

export interface ContractWorld {
  transport(): Transport;
  /** The host that plays `role`, already arranged (a refusing host refuses, a full disk is full, …). */
  host(role: HostRole): Promise<HostTarget>;
  /** Real sshd runs `command` as it is; the fake is programmed to answer it with `as` (what sshd would give). */
  script(command: string, as: FakeResponse): void;
  /** Make the host of `conn` die while `command` runs: resolves once that happened (the real host: once it ran). */
  dieDuring(conn: Connection, command: string): Promise<void>;
  /** Uploads to this directory of the 'full-disk' host find no space; of the 'stalls' host, stop moving. */
  uploadDir: string;
  /** A local file big enough to fill the full disk, and to still be moving when the stalling host stalls. */
  bigFile: string;
  /** Options for uploads to the 'stalls' host: the stall timeout and what makes it stall (progress hook). */
  stallOptions(): PutOptions;
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );
}

export function transportContract(world: () => ContractWorld): void {
  it('connect to a host that refuses rejects with ConnectError of kind refused, naming the host', async () => {
    const w = world();
    const h = await w.host('refusing');
    const err = await rejection(w.transport().connect(h));
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).kind).toBe('refused');
    expect((err as ConnectError).host).toBe(h.label);
  });

  it('exec resolves with the exit status, stdout and stderr kept apart, and no failure', async () => {
    const w = world();
    const cmd = "printf 'out\\n'; printf 'err\\n' >&2; exit 3";
    w.script(cmd, { stdout: 'out\n', stderr: 'err\n', exitCode: 3 });
    const c = await w.transport().connect(await w.host('ok'));
    const r = await c.exec(cmd);
    expect(r).toMatchObject({ exitCode: 3, stdout: 'out\n', stderr: 'err\n', timedOut: false });
    expect(r.failure).toBeUndefined();
    expect(r.error).toBeUndefined();
    await c.close();
  });

  it('exec past its timeout resolves (never rejects) with timedOut and a CommandCutOffError of reason timeout', async () => {
    const w = world();
    w.script('sleep 6001', { hang: true });
    const c = await w.transport().connect(await w.host('ok'));
    const r = await c.exec('sleep 6001', { timeoutMs: 300 });
    expect(r).toMatchObject({ exitCode: null, timedOut: true });
    expect(r.failure).toBeInstanceOf(CommandCutOffError);
    expect((r.failure as CommandCutOffError).reason).toBe('timeout');
    expect(r.error).toBe(r.failure!.message);
    expect(r.error).toContain(c.host.label);
    await c.close();
  });

  it('exec stopped by its signal resolves with a CommandCutOffError of reason interrupted', async () => {
    const w = world();
    w.script('sleep 6002', { hang: true });
    const c = await w.transport().connect(await w.host('ok'));
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    const r = await c.exec('sleep 6002', { signal: ac.signal });
    expect(r).toMatchObject({ exitCode: null, timedOut: false });
    expect(r.failure).toBeInstanceOf(CommandCutOffError);
    expect((r.failure as CommandCutOffError).reason).toBe('interrupted');
    await c.close();
  });

  it('exec on a host that dies mid-command resolves (never rejects) with reason connection-lost; later commands too', async () => {
    const w = world();
    const c = await w.transport().connect(await w.host('dies'));
    const running = c.exec('sleep 6003');
    await w.dieDuring(c, 'sleep 6003');
    const r = await running;
    expect(r).toMatchObject({ exitCode: null, timedOut: false });
    expect(r.failure).toBeInstanceOf(CommandCutOffError);
    expect((r.failure as CommandCutOffError).reason).toBe('connection-lost');
    expect(r.error).toContain(c.host.label);
    const after = await c.exec('true');
    expect(after.exitCode).toBeNull();
    expect((after.failure as CommandCutOffError).reason).toBe('connection-lost');
    const upload = await rejection(c.putFile(w.bigFile, `${w.uploadDir}/after-death.bin`));
    expect(upload).toBeInstanceOf(TransferFailedError);
    expect((upload as TransferFailedError).remoteStatus).toBeUndefined();
    await c.close();
  });

  it('exec and upload on a connection we closed resolve/reject as connection-lost, at once', async () => {
    const w = world();
    const c = await w.transport().connect(await w.host('closes'));
    await c.close();
    const r = await c.exec('true');
    expect(r.exitCode).toBeNull();
    expect((r.failure as CommandCutOffError).reason).toBe('connection-lost');
    const err = await rejection(c.putFile(w.bigFile, `${w.uploadDir}/closed.bin`));
    expect(err).toBeInstanceOf(TransferFailedError);
  });

  it('an upload that fills the disk rejects with TransferFailedError whose remoteStatus is "No space left on device"', async () => {
    const w = world();
    const c = await w.transport().connect(await w.host('full-disk'));
    const err = await rejection(c.putFile(w.bigFile, `${w.uploadDir}/dcos-install.tar`, { stallTimeoutMs: 60_000 }));
    expect(err).toBeInstanceOf(TransferFailedError);
    expect(err).not.toBeInstanceOf(TransferStalledError);
    expect((err as TransferFailedError).remoteStatus).toBe('No space left on device');
    expect((err as Error).message).toContain('No space left on device');
    expect((err as TransferError).remotePath).toBe(`${w.uploadDir}/dcos-install.tar`);
    await c.close();
  });

  it('an upload that stops moving rejects with TransferStalledError (stalled), naming host and path', async () => {
    const w = world();
    const c = await w.transport().connect(await w.host('stalls'));
    const remote = `${w.uploadDir}/stall.bin`;
    const err = await rejection(c.putFile(w.bigFile, remote, w.stallOptions()));
    expect(err).toBeInstanceOf(TransferStalledError);
    expect((err as TransferError).stalled).toBe(true);
    expect((err as Error).message).toContain(c.host.label);
    expect((err as Error).message).toContain(remote);
    await c.close();
  });

  it("an upload stopped by its signal rejects with the signal's reason (else InterruptedError), not a transfer failure", async () => {
    const w = world();
    const c = await w.transport().connect(await w.host('ok'));
    const ac = new AbortController();
    ac.abort();
    const err = await rejection(c.putFile(w.bigFile, `${w.uploadDir}/aborted.bin`, { signal: ac.signal }));
    expect(err).toBe(ac.signal.reason);
    expect(err).not.toBeInstanceOf(TransferError);
    const ac2 = new AbortController();
    ac2.abort('not an Error');
    const err2 = await rejection(c.putFile(w.bigFile, `${w.uploadDir}/aborted.bin`, { signal: ac2.signal }));
    expect(err2).toBeInstanceOf(InterruptedError);
    await c.close();
  });

  // sshd refuses every session channel (MaxSessions 0): the connection works, but no command can start. Reported as
  // that, never as a lost connection. Slow on real sshd: the transport retries a refused open for a few seconds,
  // because a full MaxSessions is usually a moment's congestion.
  it('exec on a host that refuses session channels resolves (never rejects) with a ChannelRefusedError naming the host', async () => {
    const w = world();
    const c = await w.transport().connect(await w.host('no-sessions'));
    const r = await c.exec('true');
    expect(r).toMatchObject({ exitCode: null, timedOut: false });
    expect(r.failure).toBeInstanceOf(ChannelRefusedError);
    expect(r.failure).not.toBeInstanceOf(CommandCutOffError);
    expect(r.error).toBe(r.failure!.message);
    expect(r.error).toContain(c.host.label);
    await c.close();
  }, 60_000);
}
