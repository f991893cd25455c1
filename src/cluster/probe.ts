/**
 * `--status --probe`: ask every host what is really there, read-only. One command per host, as the SSH user,
 * without sudo: it lists /etc/mesosphere/roles, reads the dcos-config package the node has active (its name carries
 * the config_id), asks systemd whether each unit of dcos.target is active, and runs the node's own
 * detect_fault_domain when it has one. Nothing is written, created or started on the host.
 * Then the findings are compared with config.yaml and the cluster record, and every difference is named.
 */
import pLimit from 'p-limit';
import { hostLabel, INSTALL_ROLE, type PlannedHost, type Role } from '../derive/plan.js';
import { command } from '../transport/quote.js';
import type { Transport } from '../transport/transport.js';
import { parseFaultDomain } from '../stages/fault-domain.js';
import type { ClusterRecord } from './record.js';

export const PROBE_SCRIPT = [
  'printf "roles="; ls /etc/mesosphere/roles 2>/dev/null | tr "\\n" " "; echo',
  'printf "config="; readlink /opt/mesosphere/active/dcos-config 2>/dev/null | tr -d "\\n"; echo',
  'printf "units="; for f in /etc/systemd/system/dcos.target.wants/*; do [ -e "$f" ] || [ -L "$f" ] || continue; u=${f##*/}; if systemctl is-active --quiet "$u" 2>/dev/null; then printf "%s:active " "$u"; else printf "%s:inactive " "$u"; fi; done; echo',
  'if [ -x /opt/mesosphere/bin/detect_fault_domain ]; then printf "fault_domain="; (cd / && timeout 30 /opt/mesosphere/bin/detect_fault_domain < /dev/null 2>/dev/null) | head -c 4096 | tr -d "\\n"; echo; fi',
].join('\n');

export const PROBE_ARGV = ['sh', '-c', PROBE_SCRIPT];

export interface Findings {
  roles: string[];
  configId: string | null;
  /** The active dcos-config package id, as the node names it. */
  configPackage: string | null;
  units: Array<{ name: string; active: boolean }>;
  region?: string;
  zone?: string;
}

/** Parse the probe's output (pure). */
export function parseFindings(stdout: string): Findings {
  const fields = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) fields.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  const roles = (fields.get('roles') ?? '').split(/\s+/).filter((r) => r !== '');
  const pkg = (fields.get('config') ?? '').split('/').pop() ?? '';
  const m = /^dcos-config--setup_([0-9a-f]+)$/.exec(pkg);
  const units = (fields.get('units') ?? '')
    .split(/\s+/)
    .filter((u) => u !== '')
    .map((u) => {
      const k = u.lastIndexOf(':');
      return { name: u.slice(0, k), active: u.slice(k + 1) === 'active' };
    });
  const out: Findings = { roles, configId: m ? m[1]! : null, configPackage: pkg === '' ? null : pkg, units };
  const fdText = fields.get('fault_domain');
  if (fdText !== undefined) {
    const fd = parseFaultDomain(fdText);
    if (!('error' in fd)) {
      out.region = fd.region;
      out.zone = fd.zone;
    }
  }
  return out;
}

export function isInstalled(f: Findings): boolean {
  return f.roles.length > 0 || f.configPackage !== null;
}

export interface ProbeTarget {
  host: PlannedHost;
  /** In master_list, agent_list or public_agent_list now. */
  listed: boolean;
}

export interface ProbeReport {
  label: string;
  address: string;
  role: Role;
  listed: boolean;
  reachable: boolean;
  error?: string;
  findings?: Findings;
  /** Every difference between the host, config.yaml and the record, one sentence each. */
  drift: string[];
}

/** What the record and config.yaml say should be there vs what the probe found (pure). */
export function judgeDrift(t: ProbeTarget, f: Findings, record: ClusterRecord | undefined): string[] {
  const drift: string[] = [];
  const rec = record?.hosts[t.host.label];
  const clusterId = record?.configId ?? null;
  const installed = isInstalled(f);
  if (!t.listed) {
    if (installed)
      drift.push(
        `DC/OS is installed (config_id ${f.configId ?? 'unknown'}) but the host is no longer listed in config.yaml`,
      );
    return drift;
  }
  if (!installed) {
    if (rec?.decommissioned) return drift;
    if (rec?.installed)
      drift.push(
        `the record says DC/OS was installed (config_id ${rec.installed.configId ?? 'unknown'}) but nothing is installed`,
      );
    else drift.push('listed in config.yaml but nothing is installed (--add-nodes installs it)');
    return drift;
  }
  if (clusterId !== null && f.configId !== clusterId)
    drift.push(`installed with config_id ${f.configId ?? 'unknown'}, the cluster's is ${clusterId}`);
  const want = INSTALL_ROLE[t.host.role];
  if (!f.roles.includes(want))
    drift.push(`role file says ${f.roles.join(', ') || 'nothing'}, config.yaml lists it as ${t.host.role} (${want})`);
  if (!rec?.installed)
    drift.push(
      rec?.decommissioned
        ? 'decommissioned in the record, but DC/OS is installed'
        : 'DC/OS is installed but the record does not show this tool installing it',
    );
  const down = f.units.filter((u) => !u.active).map((u) => u.name);
  if (down.length > 0) drift.push(`DC/OS units not active: ${down.join(', ')}`);
  return drift;
}

/** The hosts to probe: every listed host, and every host the record knows that is no longer listed. */
export function probeTargets(
  allHosts: readonly PlannedHost[],
  record: ClusterRecord | undefined,
  user: string,
): ProbeTarget[] {
  const targets: ProbeTarget[] = allHosts.map((h) => ({ host: h, listed: true }));
  const listed = new Set(allHosts.map((h) => h.label));
  for (const [label, h] of Object.entries(record?.hosts ?? {})) {
    if (listed.has(label)) continue;
    targets.push({
      host: {
        address: h.address,
        port: h.port,
        user,
        label: hostLabel(h.address, h.port),
        role: h.role,
        installRole: INSTALL_ROLE[h.role],
        index: targets.length,
      },
      listed: false,
    });
  }
  return targets;
}

export async function probeHosts(
  targets: readonly ProbeTarget[],
  record: ClusterRecord | undefined,
  opts: { transport: Transport; parallelism: number; timeoutMs: number; signal?: AbortSignal },
): Promise<ProbeReport[]> {
  const limit = pLimit(opts.parallelism);
  return Promise.all(
    targets.map((t) =>
      limit(async (): Promise<ProbeReport> => {
        const base = { label: t.host.label, address: t.host.address, role: t.host.role, listed: t.listed };
        let conn;
        try {
          conn = await opts.transport.connect(t.host, { ...(opts.signal ? { signal: opts.signal } : {}) });
        } catch (err) {
          return { ...base, reachable: false, error: (err as Error).message, drift: [] };
        }
        try {
          const r = await conn.exec(command(PROBE_ARGV), {
            timeoutMs: opts.timeoutMs,
            ...(opts.signal ? { signal: opts.signal } : {}),
          });
          if (r.exitCode !== 0)
            return {
              ...base,
              reachable: true,
              error: r.timedOut
                ? `the probe timed out after ${opts.timeoutMs / 1000} s`
                : `the probe exited ${r.exitCode ?? 'without a status'}: ${r.stderr.trim().slice(0, 300)}`,
              drift: [],
            };
          const findings = parseFindings(r.stdout);
          return { ...base, reachable: true, findings, drift: judgeDrift(t, findings, record) };
        } finally {
          await conn.close().catch(() => undefined);
        }
      }),
    ),
  );
}
