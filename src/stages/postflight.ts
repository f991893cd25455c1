/**
 * Postflight: wait for `dcos-diagnostics check node-poststart` on every host, then `check cluster` on the first
 * master. The loops have their own deadline (--postflight-timeout), not the per-command process_timeout that
 * cut the original's 900 s loop short.
 */
import type { ClusterPlan, PlannedHost } from '../derive/plan.js';
import { postflightNamesOf } from './check-ids.js';
import { judgeDiagnostics } from './judge.js';
import { defineStage, type ExecStep, type StepTimeout } from './types.js';

/** Exit status of the loop when the host has no dcos-diagnostics (DC/OS is not installed there). */
export const NOT_INSTALLED_EXIT = 127;

/**
 * Retry the check until it passes or the deadline passes; print the last run's stdout and exit with its status.
 * A host without dcos-diagnostics fails at once (nothing to wait for). After each failing attempt a frame line
 * `@@genconf attempt <elapsed s> <check JSON on one line>` goes to stderr (the progress line shows which checks
 * still fail); at the end `@@genconf waited <elapsed s> <attempts>` gives the real time spent.
 * Static text: the deadline and the check name arrive as positional arguments, never spliced into the script.
 *
 * Further arguments name checks the operator ignores (--ignore-check, as dcos-diagnostics names them). When every
 * check that fails is one of those (and one does), the loop stops waiting and reports that run: the runner records those checks as
 * ignored. It reads the check runner's indented JSON (one `"name": {` line per check, then its `"status": N` line);
 * output of any other shape never stops the loop early, it waits as it would without ignores.
 */
export const DIAGNOSTICS_LOOP = [
  'deadline=$((SECONDS + $1)); what=$2; shift 2; err=$(mktemp); rc=1; out=; n=0',
  'if [ ! -e /opt/mesosphere/bin/dcos-diagnostics ]; then',
  '  echo "dcos-diagnostics is not installed (/opt/mesosphere/bin/dcos-diagnostics is missing)" >&2',
  `  rm -f "$err"; exit ${NOT_INSTALLED_EXIT}`,
  'fi',
  'run() {',
  '  if [ -x /opt/mesosphere/bin/dcos-shell ]; then',
  '    sudo -n /opt/mesosphere/bin/dcos-shell /opt/mesosphere/bin/dcos-diagnostics check "$what"',
  '  else',
  '    sudo -n /opt/mesosphere/bin/dcos-diagnostics check "$what"',
  '  fi',
  '}',
  'only_ignored() {',
  '  [ "$#" -gt 0 ] || return 1',
  '  printf "%s\\n" "$out" | awk -v ign=" $* " \'',
  '    /^    "[^"]*": [{]$/ { name = $1; gsub(/^"|":$/, "", name); next }',
  '    /^      "status": / { st = $2; sub(/,$/, "", st); if (name == "" || st == "0" || st == "1") next;',
  '      if (index(ign, " " name " ") > 0) ignored = 1; else bad = 1; next }',
  "    END { exit (ignored && !bad) ? 0 : 1 }'",
  '}',
  'while :; do',
  '  n=$((n + 1))',
  '  if out=$(run 2>"$err"); then rc=0; break; else rc=$?; fi',
  '  only_ignored "$@" && break',
  '  [ "$SECONDS" -lt "$deadline" ] || break',
  '  printf "@@genconf attempt %s %s\\n" "$SECONDS" "$(printf "%s" "$out" | tr "\\n" " ")" >&2',
  '  sleep 2',
  'done',
  'printf "%s\\n" "$out"; cat "$err" >&2; rm -f "$err"',
  'printf "@@genconf waited %s %s\\n" "$SECONDS" "$n" >&2',
  'exit "$rc"',
].join('\n');

/** Margin of the local limit over the remote loop's own deadline, so that the loop normally reports first. */
function loopMargin(ms: number): number {
  return Math.min(30_000, Math.ceil(ms / 10));
}

export function diagnosticsStep(plan: ClusterPlan, what: 'node-poststart' | 'cluster'): ExecStep {
  const ignored = postflightNamesOf(plan.ignoreChecks ?? []);
  const seconds = Math.max(1, Math.round(plan.postflightTimeoutMs / 1000));
  const timeout: StepTimeout = {
    ms: plan.postflightTimeoutMs + loopMargin(plan.postflightTimeoutMs),
    option: '--postflight-timeout',
  };
  return {
    kind: 'exec',
    id: what === 'cluster' ? 'check-cluster' : 'check-node',
    title: what === 'cluster' ? 'Wait for the cluster checks' : 'Wait for the node checks',
    argv: ['bash', '-c', DIAGNOSTICS_LOOP, 'dcos-postflight', String(seconds), what, ...ignored],
    judge: (o) => judgeDiagnostics(what, o),
    timeout,
  };
}

export function clusterHosts(plan: ClusterPlan): PlannedHost[] {
  const first = plan.firstMaster;
  // The cluster check belongs to the first master; it runs only when that host is part of this run.
  return first && plan.hosts.some((h) => h.label === first.label) ? [first] : [];
}

export const postflight = defineStage({
  name: 'postflight',
  summaryName: 'run_postflight',
  title: 'Check that DC/OS is healthy',
  inputs: { required: [] },
  waves: [
    { name: 'node', hosts: (plan) => plan.hosts, steps: (plan) => [diagnosticsStep(plan, 'node-poststart')] },
    { name: 'cluster', hosts: clusterHosts, steps: (plan) => [diagnosticsStep(plan, 'cluster')] },
  ],
});
