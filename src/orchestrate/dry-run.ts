/**
 * `--dry-run`: what a stage would do, per phase and per host, from the same `steps()` the runner executes; no
 * transport involved. Pure: returns text or a JSON-ready record.
 */
import path from 'node:path';
import type { ClusterPlan, PlannedHost } from '../derive/plan.js';
import { bindWaves, describeStdinPart, isCleanup, type Stage, type StdinFilePart, type Step } from '../stages/types.js';
import { command } from '../transport/quote.js';

export interface DryRunStep {
  id: string;
  title: string;
  cleanup: boolean;
  /** `exec`: the exact remote command line; `put`: local → remote. */
  command?: string;
  /** What the command reads on stdin, in order (computed text by its label only: it may hold a secret). */
  stdin?: Array<StdinFilePart | { label: string }>;
  /** `always`: a cleanup that runs whatever happened; `after-abort`: only when an earlier step did not finish. */
  cleanupWhen?: 'always' | 'after-abort';
  put?: { local: string; remote: string; mode?: string };
  timeout: { seconds: number; option: string };
}

export interface DryRunPhase {
  phase: string;
  /** Present when the phase runs only if earlier phases went well. */
  condition?: string;
  hosts: Array<{ host: string; role: string; user: string; ssh?: DryRunSsh; steps: DryRunStep[] }>;
}

/** A host's settings from ssh_config (and what beat it), as --dry-run shows them. Key files by path only. */
export interface DryRunSsh {
  hostName: string;
  port: number;
  keys: string[];
  agent: boolean;
  jump: string[];
  hostKeyName: string;
  forwardAgent: boolean;
  sources: Record<string, string>;
}

function sshRecord(h: PlannedHost): DryRunSsh | undefined {
  if (!h.ssh) return undefined;
  return {
    hostName: h.ssh.hostName,
    port: h.port,
    keys: h.ssh.identityFiles,
    agent: !h.ssh.identitiesOnly,
    jump: h.ssh.jump.map((j) => `${j.user}@${j.label}`),
    hostKeyName: h.ssh.hostKeyAlias ?? h.ssh.hostName,
    forwardAgent: h.ssh.forwardAgent,
    sources: { ...h.ssh.sources },
  };
}

function stepRecord(step: Step): DryRunStep {
  const cleanup = isCleanup(step);
  const base = {
    id: step.id,
    title: step.title,
    cleanup,
    ...(cleanup
      ? { cleanupWhen: step.cleanup === 'after-abort' ? ('after-abort' as const) : ('always' as const) }
      : {}),
    timeout: { seconds: step.timeout.ms / 1000, option: step.timeout.option },
  };
  if (step.kind === 'put') {
    return {
      ...base,
      put: {
        local: step.local,
        remote: step.remote,
        ...(step.mode !== undefined ? { mode: step.mode.toString(8).padStart(4, '0') } : {}),
      },
    };
  }
  return {
    ...base,
    command: command(step.argv),
    ...(step.stdin !== undefined ? { stdin: step.stdin.map(describeStdinPart) } : {}),
  };
}

export function dryRunPlan(stage: Stage, plan: ClusterPlan): DryRunPhase[] {
  return bindWaves(stage, plan.files)
    .map((phase) => ({
      phase: phase.name,
      ...(phase.condition !== undefined ? { condition: phase.condition } : {}),
      hosts: phase.hosts(plan).map((h) => {
        const ssh = sshRecord(h);
        return {
          host: h.label,
          role: h.role,
          user: h.user,
          ...(ssh ? { ssh } : {}),
          steps: phase.steps(plan, h).map(stepRecord),
        };
      }),
    }))
    .filter((p) => p.hosts.length > 0);
}

export function renderDryRun(stage: Stage, plan: ClusterPlan, cwd = process.cwd()): string {
  const rel = (p: string): string => {
    const r = path.relative(cwd, p);
    return r.startsWith('..') ? p : r;
  };
  const out: string[] = [
    `[${stage.name}] dry run: nothing is touched. ${plan.hosts.length} host${plan.hosts.length === 1 ? '' : 's'}, ${plan.parallelism} at a time.`,
  ];
  const waveCount = bindWaves(stage, plan.files).length;
  for (const phase of dryRunPlan(stage, plan)) {
    if (waveCount > 1) out.push('', `phase ${phase.phase}${phase.condition ? `, ${phase.condition}` : ''}:`);
    for (const h of phase.hosts) {
      out.push('', `${h.host} (${h.role}, as ${h.user})`);
      if (h.ssh) {
        const src = (k: string): string => (h.ssh!.sources[k] ? ` [${h.ssh!.sources[k]}]` : '');
        const keys = [...h.ssh.keys.map(rel), ...(h.ssh.agent ? ['ssh-agent'] : [])];
        out.push(
          `  ssh: ${h.ssh.hostName}:${h.ssh.port}${src('port')} as ${h.user}${src('user')}; keys: ${h.ssh.keys.length > 0 ? keys.join(', ') + src('identity') : ['ssh_key_path', ...(h.ssh.agent ? ['ssh-agent'] : [])].join(', ')}` +
            `${h.ssh.jump.length > 0 ? `; through ${h.ssh.jump.join(' > ')}` : ''}${h.ssh.hostKeyName !== h.ssh.hostName ? `; host key as ${h.ssh.hostKeyName}` : ''}${h.ssh.forwardAgent ? '; agent forwarded' : ''}`,
        );
      }
      h.steps.forEach((s, i) => {
        const what = s.put
          ? `copy ${rel(s.put.local)} to ${s.put.remote}${s.put.mode ? ` (mode ${s.put.mode})` : ''}`
          : `${s.command}${s.stdin && s.stdin.length > 0 ? ` < ${s.stdin.map((p) => ('label' in p ? `<${p.label}>` : p.encoding === 'base64-line' ? `base64(${rel(p.file)})` : rel(p.file))).join(' + ')}` : ''}`;
        const label = s.cleanupWhen === 'always' ? 'always' : s.cleanupWhen === 'after-abort' ? 'if cut' : `${i + 1}.`;
        out.push(`  ${label.padEnd(6)} ${s.title}: ${what}`);
      });
    }
  }
  return out.join('\n') + '\n';
}
