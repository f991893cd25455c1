/**
 * `--ignore-check`: a failed check the operator named is kept in the results with status `ignored` (the summary,
 * NDJSON and JUnit show it), and a step that failed only because of such checks passes. Pure.
 */
import { checkIdOf } from '../stages/check-ids.js';
import type { CheckResult, Verdict } from '../stages/types.js';

/** Where each check an operator ignored failed, for the reports. */
export interface IgnoredCheck {
  host: string;
  id: string;
  name: string;
  detail?: string;
}

export function isIgnored(check: Pick<CheckResult, 'name'>, ignore: ReadonlySet<string>): boolean {
  return ignore.size > 0 && ignore.has(checkIdOf(check.name));
}

export function applyIgnoredChecks(verdict: Verdict, ignore: ReadonlySet<string>): Verdict {
  if (ignore.size === 0 || !verdict.checks) return verdict;
  let hit = false;
  const checks = verdict.checks.map((c): CheckResult => {
    if (c.status !== 'fail' || !isIgnored(c, ignore)) return c;
    hit = true;
    return { ...c, status: 'ignored' };
  });
  if (!hit) return verdict;
  const stillFailing = checks.some((c) => c.status === 'fail' || c.status === 'unknown');
  if (!verdict.ok && verdict.byChecks === true && !stillFailing) {
    const { message: _dropped, ...rest } = verdict;
    return { ...rest, ok: true, checks };
  }
  return { ...verdict, checks };
}

/** What --ignore-check asked for and where each named check was ignored; `ids` lists every name given. */
export function ignoredChecks(
  ids: readonly string[],
  hosts: readonly { host: { label: string }; checks: readonly CheckResult[] }[],
): { ids: string[]; where: IgnoredCheck[] } {
  const where: IgnoredCheck[] = [];
  for (const h of hosts)
    for (const c of h.checks)
      if (c.status === 'ignored')
        where.push({
          host: h.host.label,
          id: checkIdOf(c.name),
          name: c.name,
          ...(c.detail ? { detail: c.detail } : {}),
        });
  return { ids: [...ids], where };
}
