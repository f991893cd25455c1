// `npm run check`: the project's one test command (README "Testing", and what .ci/run runs). Typecheck of the sources
// and of the tests, eslint with type information, prettier --check, then the tests; extra arguments go to vitest. Every step runs even
// when an earlier one failed, so one run shows everything that is wrong; the exit status is non-zero if any failed.
// With GENCONF_CHECK_REPORT=<file>, the names of the failed steps are written there as JSON (.ci/run counts them).
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const steps = [
  ['typecheck (src)', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']],
  ['typecheck (tests)', 'npx', ['tsc', '-p', 'tsconfig.test.json', '--noEmit']],
  ['lint', 'npx', ['eslint', '.']],
  ['format', 'npx', ['prettier', '--check', '.']],
  ['test', 'npx', ['vitest', 'run', ...process.argv.slice(2)]],
];

const failed = [];
for (const [name, cmd, args] of steps) {
  process.stderr.write(`[check] ${name}\n`);
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    failed.push(name);
    process.stderr.write(`[check] ${name} FAILED (${r.status ?? r.signal})\n`);
  }
}
const report = process.env.GENCONF_CHECK_REPORT;
if (report) {
  mkdirSync(path.dirname(report), { recursive: true });
  writeFileSync(report, JSON.stringify({ failedSteps: failed }) + '\n');
}
process.stderr.write(failed.length === 0 ? '[check] all steps passed\n' : `[check] failed: ${failed.join(', ')}\n`);
process.exit(failed.length === 0 ? 0 : 1);
