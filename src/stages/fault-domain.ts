/**
 * Fault domains, as DC/OS 1.11 documents them: the fault-domain-detect script prints one JSON object,
 *   {"fault_domain": {"region": {"name": "<region>"}, "zone": {"name": "<zone>"}}}
 * with region and zone side by side (a zone nested inside the region is the common mistake). Every master must be
 * in one region, the local region; masters should be spread over zones; an agent in another region is a
 * "remote region" agent. Pure: parsing and judging only; the preflight step and the probe run the script.
 */
import type { HostFacts, Verdict } from './types.js';

export interface FaultDomain {
  region: string;
  zone: string;
}

/** Longest output accepted from the script: the JSON is one short line. */
const MAX_OUTPUT = 64 * 1024;

function nameOf(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const keys = Object.keys(v);
  const name = (v as { name?: unknown }).name;
  return typeof name === 'string' && name.trim() !== '' && keys.every((k) => k === 'name') ? name : undefined;
}

/** Parse what the script printed; returns the domain or why the output is not what Mesos accepts. */
export function parseFaultDomain(stdout: string): FaultDomain | { error: string } {
  const text = stdout.trim();
  if (text === '')
    return { error: 'printed nothing (expected {"fault_domain": {"region": {"name": …}, "zone": {"name": …}}})' };
  if (text.length > MAX_OUTPUT) return { error: `printed more than ${MAX_OUTPUT} bytes` };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { error: 'did not print JSON (expected {"fault_domain": {"region": {"name": …}, "zone": {"name": …}}})' };
  }
  const fd = (doc as { fault_domain?: unknown } | null)?.fault_domain;
  if (typeof fd !== 'object' || fd === null || Array.isArray(fd))
    return { error: 'printed JSON without a "fault_domain" object' };
  const region = (fd as { region?: unknown }).region;
  const zone = (fd as { zone?: unknown }).zone;
  if (zone === undefined && typeof region === 'object' && region !== null && 'zone' in region) {
    return {
      error:
        'nests "zone" inside "region"; they must be side by side: {"fault_domain": {"region": {"name": …}, "zone": {"name": …}}}',
    };
  }
  const r = nameOf(region);
  if (r === undefined) return { error: 'has no "region": {"name": "<non-empty string>"} in "fault_domain"' };
  const z = nameOf(zone);
  if (z === undefined) return { error: 'has no "zone": {"name": "<non-empty string>"} in "fault_domain"' };
  const extra = Object.keys(fd).filter((k) => k !== 'region' && k !== 'zone');
  if (extra.length > 0) return { error: `has unexpected keys in "fault_domain": ${extra.join(', ')}` };
  return { region: r, zone: z };
}

/** Judge one run of the script (exit code and output), as a preflight step. */
export function judgeFaultDomain(outcome: { exitCode: number | null; stdout: string; stderr: string }): Verdict {
  const shown = (): string => {
    const out = [outcome.stdout.trim(), outcome.stderr.trim()].filter((s) => s !== '').join(' | ');
    return out === '' ? '(no output)' : out.length > 300 ? `${out.slice(0, 300)}…` : out;
  };
  if (outcome.exitCode !== 0) {
    return {
      ok: false,
      message: `fault-domain-detect exited ${outcome.exitCode ?? 'without a status'}: ${shown()}`,
      checks: [{ name: 'fault-domain-detect', status: 'fail', detail: shown() }],
    };
  }
  const fd = parseFaultDomain(outcome.stdout);
  if ('error' in fd) {
    return {
      ok: false,
      message: `fault-domain-detect ${fd.error}; it printed: ${shown()}`,
      checks: [{ name: 'fault-domain-detect', status: 'fail', detail: `${fd.error}; output: ${shown()}` }],
    };
  }
  return {
    ok: true,
    facts: { region: fd.region, zone: fd.zone },
    checks: [{ name: 'fault-domain-detect', status: 'pass', detail: `region ${fd.region}, zone ${fd.zone}` }],
  };
}

export interface DomainHost extends HostFacts {
  role: string;
}

export interface DomainJudgement {
  /** Hosts that fail: masters outside the local region. */
  failures: Map<string, { step: string; message: string }>;
  /** Labels of agents in another region than the masters'. */
  remote: Set<string>;
  /** The masters' region, when they agree (or a majority does). */
  localRegion?: string;
  warnings: string[];
}

/**
 * Across hosts: the local region is the masters' (the most common one among masters; ties go to the first
 * master's). Masters elsewhere fail; agents elsewhere are remote; all masters in one zone is a warning.
 */
export function judgeDomains(hosts: readonly DomainHost[], step: string, knownLocalRegion?: string): DomainJudgement {
  const failures = new Map<string, { step: string; message: string }>();
  const remote = new Set<string>();
  const warnings: string[] = [];
  const masters = hosts.filter((h) => h.role === 'master' && h.facts.region !== undefined);
  const count = new Map<string, number>();
  for (const m of masters) count.set(m.facts.region!, (count.get(m.facts.region!) ?? 0) + 1);
  let localRegion: string | undefined = knownLocalRegion;
  if (localRegion === undefined)
    for (const m of masters)
      if (localRegion === undefined || count.get(m.facts.region!)! > count.get(localRegion)!)
        localRegion = m.facts.region!;
  if (localRegion === undefined) return { failures, remote, warnings };
  for (const m of masters) {
    if (m.facts.region !== localRegion) {
      failures.set(m.label, {
        step,
        message: `master in region ${m.facts.region}, but the masters' region is ${localRegion}: every master must be in the local region`,
      });
    }
  }
  const zones = new Set(masters.map((m) => m.facts.zone));
  if (masters.length > 1 && zones.size === 1) {
    warnings.push(
      `all ${masters.length} masters are in zone ${[...zones][0]}: losing that zone loses the cluster; spread masters over zones`,
    );
  }
  for (const h of hosts) {
    if (h.role !== 'master' && h.facts.region !== undefined && h.facts.region !== localRegion) remote.add(h.label);
  }
  return { failures, remote, localRegion, warnings };
}

/** Summary lines for a run whose hosts reported fault domains: each host's region and zone, and the warnings. */
export function domainNotes(
  hosts: ReadonlyArray<{ host: { label: string; role: string }; facts: Record<string, string> }>,
  knownLocalRegion?: string,
): string[] {
  const withDomain = hosts.filter((h) => h.facts.region !== undefined);
  if (withDomain.length === 0) return [];
  const d = judgeDomains(
    withDomain.map((h) => ({ label: h.host.label, ok: true, role: h.host.role, facts: h.facts })),
    FAULT_DOMAIN_STEP,
    knownLocalRegion,
  );
  const width = Math.max(...withDomain.map((h) => h.host.label.length));
  const lines = [`Fault domains${d.localRegion ? ` (local region ${d.localRegion})` : ''}:`];
  for (const h of withDomain) {
    const remote = h.facts.remoteRegion === 'true' || d.remote.has(h.host.label);
    lines.push(
      `  ${h.host.label.padEnd(width)}  ${h.host.role.padEnd(12)}  region ${h.facts.region}, zone ${h.facts.zone ?? '?'}${remote ? '  (remote region)' : ''}`,
    );
  }
  for (const w of d.warnings) lines.push(`warning: ${w}`);
  return lines;
}

const FAULT_DOMAIN_STEP = 'Run fault-domain-detect';
