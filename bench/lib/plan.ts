/**
 * The remote work of one benchmark side, written to a JSON file by run.ts and read by floor.ts or
 * original-mechanics.ts, so that both reference clients run exactly the work run.ts decided, as separate processes.
 * `{role}` in a command is replaced by the host's role (master, slave, slave_public).
 */
import { readFileSync } from 'node:fs';

export interface PlanHost {
  address: string;
  port: number;
  role: string;
}

interface PlanBase {
  hosts: PlanHost[];
  user: string;
  keyPath: string;
  parallelism: number;
}

/** One local /usr/bin/ssh or /usr/bin/scp process. */
export type OriginalStep = { kind: 'ssh'; command: string } | { kind: 'scp'; local: string; remote: string };

export interface OriginalPlan extends PlanBase {
  /**
   * Chains run in order on each host; inside a chain the first failing step stops it, and the next chain (the
   * cleanup) still runs, as the original did.
   */
  chains: OriginalStep[][];
}

export interface FloorPlan extends PlanBase {
  /** Host keys are checked against this file when given (genconf checks them too: the floor pays the same). */
  knownHostsFile?: string;
  /** Run before the uploads (e.g. creating the staging directory with sudo). */
  before?: string;
  /** Files sent with SFTP, in order. */
  uploads: { local: string; remote: string }[];
  /** The rest of the remote work, as one exec. */
  command: string;
  /** Sent to `command` on stdin, then EOF. */
  stdinFile?: string;
  /** Finish every `master` host before starting the others (genconf's deploy does: it is part of the work). */
  mastersFirst?: boolean;
}

export function withRole(command: string, host: PlanHost): string {
  return command.split('{role}').join(host.role);
}

export function readPlan<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** A sliding window of `limit` workers over `items`; resolves with the results in item order. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
