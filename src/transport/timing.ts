/** Small helpers about time and cancellation shared by the parts of the SSH transport. */
import { InterruptedError } from '../errors.js';

/** A duration for messages: `1.5 s`. */
export function secs(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/** What an aborted operation rejects with: the signal's own reason when it is an Error, else InterruptedError. */
export function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new InterruptedError();
}

/** `p`, or a rejection after `ms` when the host does not answer (used only for best-effort tidying up). */
export function within<T>(ms: number, p: Promise<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
