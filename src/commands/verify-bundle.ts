/**
 * `--verify-bundle [PATH]`: check genconf/serve (default), another serve dir or a dcos-install.tar against its
 * SHA256SUMS. One line per problem; exit 0 when everything matches, 1 otherwise.
 */
import path from 'node:path';
import type { CommandContext } from '../cli/context.js';
import { ExitCode } from '../exit-codes.js';
import type { VerifyProblem, VerifyReport } from '../bundle/verify.js';

export async function run(ctx: CommandContext): Promise<ExitCode> {
  const { verifyBundle } = await import('../bundle/verify.js');
  const target = ctx.options.actionArg
    ? path.resolve(ctx.options.actionArg)
    : path.join(ctx.options.genconfDir, 'serve');
  if (!ctx.options.actionArg) {
    // A run killed in the middle of swapping serve/ leaves the previous tree aside: put it back before checking.
    const { recoverServeDir } = await import('../bundle/serve-dir.js');
    const restored = await recoverServeDir(ctx.options.genconfDir);
    if (restored) ctx.stderr.write(`note: ${restored}\n`);
  }
  const reports = await verifyBundle(target);
  const ok = reports.every((r) => r.problems.length === 0);
  if (ctx.options.json) {
    ctx.stdout.write(`${JSON.stringify({ ok, reports }, null, 2)}\n`);
  } else {
    for (const r of reports) ctx.stdout.write(formatReport(r));
  }
  return ok ? ExitCode.OK : ExitCode.CONFIG_INVALID;
}

export function formatReport(r: VerifyReport): string {
  const lines = r.problems.map((p) => `${r.target}: ${describe(p)}`);
  const what = r.form === 'tar' ? 'archive' : 'directory';
  lines.push(
    r.problems.length === 0
      ? `${r.target}: OK (${what}, ${r.listed} files match SHA256SUMS)`
      : `${r.target}: FAILED (${what}, ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}, ${r.listed} files listed in SHA256SUMS)`,
  );
  return `${lines.join('\n')}\n`;
}

function describe(p: VerifyProblem): string {
  switch (p.kind) {
    case 'missing':
      return `MISSING ${p.path} (listed in SHA256SUMS, not present)`;
    case 'extra':
      return `EXTRA ${p.path} (present, not listed in SHA256SUMS)`;
    case 'changed':
      return `CHANGED ${p.path} (sha256 ${p.actual}, SHA256SUMS says ${p.expected})`;
    case 'unsafe':
      return `UNSAFE ${p.path} (${p.detail})`;
  }
}
