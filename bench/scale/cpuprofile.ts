/**
 * Summarises a V8 .cpuprofile (`node --cpu-prof`): where a client's CPU goes, by module (self and inclusive time)
 * and by function (self time). Modules are the file a frame runs in, shortened: `ssh2/lib/protocol/Protocol.js`,
 * `src/transport/exec.js`, `node:internal/streams/readable`, or `(gc)` / `(program)` / `(idle)` for V8's own nodes.
 *
 * usage: node dist/bench/scale/cpuprofile.js FILE.cpuprofile [--top=25] [--filter=REGEX]
 *   --filter: the inclusive table counts only samples whose stack has a frame in a module matching REGEX.
 *   --callers=NAME: for the functions called NAME, their self time by calling stack (up to 8 frames).
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** A frame's module: the path from node_modules/ or from the project's src/ bench/ cli/, else the URL or V8 name. */
export function moduleOf(f: CallFrame): string {
  const u = f.url;
  if (!u) return f.functionName.startsWith('(') ? f.functionName : '(native)';
  const nm = u.lastIndexOf('/node_modules/');
  if (nm >= 0) return u.slice(nm + '/node_modules/'.length);
  const m = /\/(?:dist\/)?((?:src|bench|cli|scripts)\/.*)$/.exec(u);
  if (m) return m[1]!;
  return u.replace(/^file:\/\//, '');
}

export interface ProfileSummary {
  totalMs: number;
  byModuleSelf: [string, number][];
  byModuleInclusive: [string, number][];
  byFunctionSelf: [string, number][];
  callers: [string, number][];
}

export function summarise(p: Profile, filter?: RegExp, callersOf?: string): ProfileSummary {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of p.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const selfNode = new Map<number, number>();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    // timeDeltas[i] is the time before sample i; charge it to the sample that follows, as DevTools does.
    const dt = (p.timeDeltas[i + 1] ?? 0) / 1000;
    const id = p.samples[i]!;
    selfNode.set(id, (selfNode.get(id) ?? 0) + dt);
    total += dt;
  }
  const modSelf = new Map<string, number>();
  const fnSelf = new Map<string, number>();
  const modIncl = new Map<string, number>();
  const callers = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, v: number): void => void m.set(k, (m.get(k) ?? 0) + v);
  for (const [id, ms] of selfNode) {
    const n = byId.get(id)!;
    const mod = moduleOf(n.callFrame);
    add(modSelf, mod, ms);
    add(fnSelf, `${n.callFrame.functionName || '(anonymous)'} ${mod}:${n.callFrame.lineNumber + 1}`, ms);
    if (callersOf !== undefined && n.callFrame.functionName === callersOf) {
      const chain: string[] = [];
      for (let cur = parent.get(id); cur !== undefined && chain.length < 8; cur = parent.get(cur)) {
        const f = byId.get(cur)!.callFrame;
        chain.push(`${f.functionName || '(anonymous)'} ${moduleOf(f)}:${f.lineNumber + 1}`);
      }
      add(callers, chain.join(' < '), ms);
    }
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur))
      seen.add(moduleOf(byId.get(cur)!.callFrame));
    if (filter && ![...seen].some((s) => filter.test(s))) continue;
    for (const s of seen) add(modIncl, s, ms);
  }
  const sorted = (m: Map<string, number>): [string, number][] => [...m].sort((a, b) => b[1] - a[1]);
  return {
    totalMs: total,
    byModuleSelf: sorted(modSelf),
    byModuleInclusive: sorted(modIncl),
    byFunctionSelf: sorted(fnSelf),
    callers: sorted(callers),
  };
}

function table(title: string, rows: [string, number][], total: number, top: number): string {
  const lines = [`${title}`];
  for (const [k, ms] of rows.slice(0, top))
    lines.push(`${ms.toFixed(0).padStart(8)} ms ${((100 * ms) / total).toFixed(1).padStart(5)}%  ${k}`);
  return lines.join('\n');
}

function main(argv: string[]): void {
  const file = argv.find((a) => !a.startsWith('--'));
  if (!file) throw new Error('usage: cpuprofile.js FILE.cpuprofile [--top=N] [--filter=REGEX]');
  const top = Number(argv.find((a) => a.startsWith('--top='))?.slice(6) ?? 25);
  const f = argv.find((a) => a.startsWith('--filter='))?.slice(9);
  const callersOf = argv.find((a) => a.startsWith('--callers='))?.slice(10);
  const s = summarise(JSON.parse(readFileSync(file, 'utf8')) as Profile, f ? new RegExp(f) : undefined, callersOf);
  if (callersOf !== undefined) {
    process.stdout.write(table(`self time of ${callersOf} by caller`, s.callers, s.totalMs, top) + '\n');
    return;
  }
  process.stdout.write(
    [
      `${file}: ${s.totalMs.toFixed(0)} ms sampled`,
      table('self time by module', s.byModuleSelf, s.totalMs, top),
      table('inclusive time by module', s.byModuleInclusive, s.totalMs, top),
      table('self time by function', s.byFunctionSelf, s.totalMs, top),
    ].join('\n\n') + '\n',
  );
}

if (process.argv[1]?.endsWith('cpuprofile.js')) main(process.argv.slice(2));
