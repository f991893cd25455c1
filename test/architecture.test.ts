/**
 * The layering README.md claims ("### Architecture: layers and where a change goes"), checked on the import graph of
 * src/: every module belongs to exactly one layer of the README's table, imports only from its own layer or the ones
 * listed before it, takes part in no import cycle, and stays under MAX_LINES (the renderers and the exceptions listed
 * below excepted). The layers are read from the README's table itself, so the document and the check cannot drift.
 *
 * Every form of import counts: `import … from`, `import type …`, `export … from`, a bare `import '…'`, and a dynamic
 * `import('…')` with a literal path (type-only imports too: a type cycle is still a cycle for a reader).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SRC = path.join(ROOT, 'src');

/** About 400 lines: one idea per module. */
const MAX_LINES = 400;

/** Modules allowed past MAX_LINES, each with its reason. Renderers (src/bundle/render/**) are tables of output. */
const LONG_MODULE_EXCEPTIONS: Readonly<Record<string, string>> = {};

function isRenderer(file: string): boolean {
  return file.startsWith('src/bundle/render/');
}

/** Every .ts file under src/, as a repo-relative path with forward slashes. */
function sourceFiles(dir = SRC): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(full));
    else if (entry.name.endsWith('.ts')) out.push(path.relative(ROOT, full).split(path.sep).join('/'));
  }
  return out.sort();
}

// `from '…'` ends every static import and re-export (multi-line ones too); a bare `import '…'` has no `from`.
const STATIC_FROM = /^\s*(?:import|export)\b[^;]*?\bfrom\s*['"]([^'"]+)['"]/gms;
const BARE_IMPORT = /^\s*import\s*['"]([^'"]+)['"]/gm;
const DYNAMIC_IMPORT = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Comments out, so that an example in a comment is not taken for an import (strings stay: they hold the paths). */
function withoutComments(text: string): string {
  // Only comments that open a line: a `/*` inside a string (a glob) must not swallow the code after it.
  return text.replace(/^\s*\/\*[\s\S]*?\*\//gm, '').replace(/^\s*\/\/.*$/gm, '');
}

/** The repo-relative modules `file` imports (relative specifiers only; packages and node: builtins are not layers). */
function importsOf(file: string): string[] {
  const text = withoutComments(readFileSync(path.join(ROOT, file), 'utf8'));
  const specs = new Set<string>();
  for (const re of [STATIC_FROM, BARE_IMPORT, DYNAMIC_IMPORT]) for (const m of text.matchAll(re)) specs.add(m[1]!);
  const out: string[] = [];
  for (const spec of specs) {
    if (!spec.startsWith('.')) continue;
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)).replace(/\.js$/, '.ts');
    out.push(target);
  }
  return out.sort();
}

interface Layer {
  index: number;
  /** `src/config` (a directory: everything below it) or `src/main.ts` (one file). */
  paths: string[];
}

/** The README's layer table: `| 0 | \`src/errors.ts\`, … | … |` rows, in order. */
function readmeLayers(): Layer[] {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('### Architecture: layers and where a change goes');
  if (start < 0) throw new Error('README.md has no "### Architecture: layers and where a change goes" section');
  const layers: Layer[] = [];
  for (const line of readme.slice(start).split('\n')) {
    const row = /^\|\s*(\d+)\s*\|([^|]*)\|/.exec(line);
    if (!row) {
      if (layers.length > 0 && !line.startsWith('|')) break;
      continue;
    }
    const paths = [...row[2]!.matchAll(/`(src\/[^`]+)`/g)].map((m) => m[1]!.replace(/\/$/, ''));
    layers.push({ index: Number(row[1]), paths });
  }
  return layers;
}

function layerOf(file: string, layers: readonly Layer[]): number | undefined {
  for (const layer of layers)
    for (const p of layer.paths)
      if (file === p || file.startsWith(p.endsWith('.ts') ? `${p}\0` : `${p}/`)) return layer.index;
  return undefined;
}

/** Imports from a module to one of a later layer: each as `from (layer a) imports to (layer b)`. */
function upwardImports(g: ReadonlyMap<string, readonly string[]>, ls: readonly Layer[]): string[] {
  const upward: string[] = [];
  for (const [from, targets] of g) {
    const a = layerOf(from, ls);
    for (const to of targets) {
      const b = layerOf(to, ls);
      if (a !== undefined && b !== undefined && b > a) upward.push(`${from} (layer ${a}) imports ${to} (layer ${b})`);
    }
  }
  return upward;
}

/** Lines as `wc -l` counts them. */
function lineCount(text: string): number {
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

/** Strongly connected components of more than one module (or a module importing itself): the cycles. */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

const files = sourceFiles();
const layers = readmeLayers();
const graph = new Map(files.map((f) => [f, importsOf(f)]));

describe('the architecture README.md describes', () => {
  it('reads the layer table (0..12) from the README', () => {
    expect(layers.map((l) => l.index)).toEqual(layers.map((_, i) => i));
    expect(layers.length).toBeGreaterThanOrEqual(13);
    expect(layers.every((l) => l.paths.length > 0)).toBe(true);
  });

  it('finds the imports of every form (the parser itself)', () => {
    // A module known to use static, type-only and dynamic imports: each form shows up in its edges.
    const cmd = graph.get('src/commands/ssh-stage.ts') ?? [];
    expect(cmd).toContain('src/cli/context.ts');
    expect(cmd.filter((t) => t.startsWith('src/config/')).length).toBeGreaterThan(0);
    expect(cmd).toContain('src/orchestrate/dry-run.ts');
    expect(importsOf('src/main.ts').length).toBeGreaterThan(0);
  });

  it('puts every module of src/ in exactly one layer, and names no path that does not exist', () => {
    expect(files.filter((f) => layerOf(f, layers) === undefined)).toEqual([]);
    const claimed = layers.flatMap((l) => l.paths);
    expect(claimed.filter((p) => !files.some((f) => f === p || f.startsWith(`${p}/`)))).toEqual([]);
    expect(claimed.length).toBe(new Set(claimed).size);
  });

  it('resolves every relative import to a module of src/', () => {
    const dangling = [...graph].flatMap(([f, ts]) => ts.filter((t) => !graph.has(t)).map((t) => `${f} -> ${t}`));
    expect(dangling).toEqual([]);
  });

  it('imports only from the same layer or the layers listed before it', () => {
    expect(upwardImports(graph, layers)).toEqual([]);
  });

  it('has no import cycle between modules', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it(`keeps every module under ${MAX_LINES} lines, outside the renderers and the listed exceptions`, () => {
    const long = files
      .filter((f) => !isRenderer(f) && LONG_MODULE_EXCEPTIONS[f] === undefined)
      .map((f) => [f, lineCount(readFileSync(path.join(ROOT, f), 'utf8'))] as const)
      .filter(([, n]) => n > MAX_LINES)
      .map(([f, n]) => `${f}: ${n} lines`);
    expect(long).toEqual([]);
    // An exception that no longer needs to be one goes from the list.
    for (const f of Object.keys(LONG_MODULE_EXCEPTIONS)) expect(files).toContain(f);
  });

  it('finds a cycle and an upward import when there is one (the checks themselves)', () => {
    const g = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['d']],
      ['e', ['a']],
    ]);
    expect(cycles(g)).toEqual([['a', 'b', 'c'], ['d']]);
    // transport (layer 3) importing cli (layer 10) is the arrow the layering forbids; cli importing transport is not.
    const arrows = new Map([
      ['src/transport/x.ts', ['src/cli/context.ts', 'src/config/engine.ts']],
      ['src/cli/y.ts', ['src/transport/transport.ts']],
    ]);
    expect(upwardImports(arrows, layers)).toEqual([
      'src/transport/x.ts (layer 3) imports src/cli/context.ts (layer 10)',
    ]);
    expect(layerOf('src/config/engine.ts', layers)).toBeLessThan(layerOf('src/cli/args.ts', layers)!);
    expect(layerOf('src/errors.ts', layers)).toBe(0);
    expect(layerOf('src/main.ts', layers)).toBe(layers.at(-1)!.index);
  });
});
