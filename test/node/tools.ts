/**
 * Prerequisites of the node tests. Locally a missing tool or privilege skips the test that needs it; under CI=true
 * it fails the test instead, so a CI machine without them can never pass silently.
 */
import { spawnSync } from 'node:child_process';
import type { TestContext } from 'vitest';
import { sandboxUnavailable } from '../support/sandbox.js';

export const IN_CI = process.env.CI === 'true';

/** Throws (under CI, or always when no test context is given) or skips when `tool` is not on PATH. */
export function needTool(tool: string, ctx?: TestContext): void {
  const found = spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
  if (found) return;
  if (!IN_CI && ctx) ctx.skip(`${tool} is not installed`);
  throw new Error(`${tool} is required by this test but is not installed`);
}

/** Throws under CI, skips locally, when the mount-namespace sandbox cannot run (not root, no unshare). */
export function needSandbox(ctx: TestContext): void {
  const reason = sandboxUnavailable();
  if (!reason) return;
  if (!IN_CI) ctx.skip(reason);
  throw new Error(`sandbox unavailable under CI: ${reason}`);
}
