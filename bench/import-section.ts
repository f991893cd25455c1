/**
 * `npm run bench -- --only=import`: `genconf --import-installer` on a synthetic installer of random data (1 GiB by
 * default), against the floor measured in the same run: the original's own unpacking without `docker load`,
 * `sed '1,/^#EOF#$/d' FILE | tar -x`, then the image tar extracted, then each layer extracted with tar in manifest
 * order. Both sides run as whole processes under /usr/bin/time (wall, CPU, peak RSS), interleaved.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { writeLargeInstaller } from './lib/installer-gen.js';
import type { ImportComparison } from './lib/results.js';
import { sampleSides } from './lib/sampler.js';

/** The floor as one bash script: $1 the installer, $2 an empty work directory. */
export const FLOOR_SCRIPT = [
  'set -euo pipefail',
  'cd "$2"',
  `sed '1,/^#EOF#$/d' "$1" | tar -x`,
  'inner=$(ls ./*.tar)',
  'mkdir image root',
  'tar -xf "$inner" -C image',
  'rm "$inner"',
  // Layers in manifest order, as docker would apply them (the floor applies no whiteouts and checks no digests).
  `for layer in $(grep -o '"[^"]*/layer.tar"' image/manifest.json | tr -d '"'); do tar -xf "image/$layer" -C root; done`,
].join('\n');

export interface ImportBenchOptions {
  mib: number;
  runs: number;
  warmup: number;
  cli: string;
  log: (line: string) => void;
}

export async function importSection(o: ImportBenchOptions, work: string, bigFirst: boolean): Promise<ImportComparison> {
  const file = path.join(work, 'dcos_generate_config.sh');
  o.log(`import: writing a ${o.mib} MiB synthetic installer of random data (not measured)`);
  const made = await writeLargeInstaller(file, o.mib * 1024 * 1024, { bigFirst });
  const oursDir = path.join(work, 'ours-artifacts');
  const floorDir = path.join(work, 'floor');
  const sides = await sampleSides(
    [
      {
        side: 'ours',
        argv: [process.execPath, o.cli, '--import-installer', file, '--artifacts', oursDir],
        cwd: work,
        reset: () => rm(oursDir, { recursive: true, force: true }),
      },
      {
        side: 'floor',
        argv: ['bash', '-c', FLOOR_SCRIPT, 'import-floor', file, floorDir],
        cwd: work,
        reset: async () => {
          await rm(floorDir, { recursive: true, force: true });
          const { mkdir } = await import('node:fs/promises');
          await mkdir(floorDir);
        },
      },
    ],
    {
      warmup: o.warmup,
      runs: o.runs,
      timeoutMs: 30 * 60_000,
      log: o.log,
      label: `import${bigFirst ? ' (big layer spooled)' : ''}`,
    },
  );
  await rm(oursDir, { recursive: true, force: true });
  await rm(floorDir, { recursive: true, force: true });
  await rm(file, { force: true });
  const mbps = (wallMs: number | undefined): number | null =>
    wallMs === undefined ? null : made.size / 1e6 / (wallMs / 1000);
  const ours = sides.ours && 'summary' in sides.ours && sides.ours.summary.ok ? sides.ours.summary : undefined;
  const floor = sides.floor && 'summary' in sides.floor && sides.floor.summary.ok ? sides.floor.summary : undefined;
  const oursMBps = mbps(ours?.wallMs.median);
  const floorMBps = mbps(floor?.wallMs.median);
  return {
    case: bigFirst ? 'big layer arrives before its parent: spooled' : 'layers in parent-chain order: none spooled',
    installerBytes: made.size,
    packages: made.packages.length,
    sides: { ...(sides.ours ? { ours: sides.ours } : {}), ...(sides.floor ? { floor: sides.floor } : {}) },
    oursMBps,
    floorMBps,
    throughputRatio: oursMBps !== null && floorMBps !== null ? oursMBps / floorMBps : null,
  };
}

export function importMethod(mib: number): string {
  return (
    `Import: a ${mib} MiB synthetic installer (bench/lib/installer-gen.ts: script header, #EOF#, outer tar, classic docker-save image with a small base layer and one layer of 64 MiB random packages, <dir>/VERSION and <dir>/json as docker writes them, manifest.json after the layers). Two cases: the big layer's directory sorts after the base's (genconf applies both as they stream past, from the parent chain) or before it (genconf spools it to a temporary file and applies it when the manifest arrives). ` +
    `genconf = \`node dist/cli/main.js --import-installer FILE --artifacts DIR\` (one pass, sha256 of every layer checked, whiteouts applied, consistency checks, atomic rename). ` +
    `floor = \`sed '1,/^#EOF#$/d' FILE | tar -x\`, \`tar -xf\` of the image tar, then \`tar -xf\` of each layer in manifest order (no digests, no whiteouts). MB/s = installer bytes / median wall (10^6 bytes). The installer is in the page cache for both sides.`
  );
}
