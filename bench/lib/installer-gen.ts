/**
 * A large synthetic DC/OS installer, written as a stream (no part of it is ever whole in memory): script header,
 * `#EOF#`, outer tar, classic docker-save image tar with a small base layer and one big layer of packages made of
 * random bytes. Tar headers are written by hand here because every size must be known before its bytes are made.
 * Used by the import's memory test and by `npm run bench -- --only=import`.
 */
import { createHash, randomFillSync } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

const BLOCK = 512;
const CHUNK = 1024 * 1024;
const pad = (n: number): number => Math.ceil(n / BLOCK) * BLOCK;

export const LARGE_BOOTSTRAP_ID = '6f2e4d7c0b1a29384756a1b2c3d4e5f601234567';
export const LARGE_COMMIT = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';

function header(name: string, size: number, mode = 0o644, type = '0'): Buffer {
  if (Buffer.byteLength(name) > 100) throw new Error(`name too long for a plain ustar header: ${name}`);
  const b = Buffer.alloc(BLOCK);
  b.write(name, 0, 'utf8');
  b.write(`${mode.toString(8).padStart(7, '0')}\0`, 100, 'ascii');
  b.write('0000000\0', 108, 'ascii');
  b.write('0000000\0', 116, 'ascii');
  b.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
  b.write('00000000000\0', 136, 'ascii');
  b.fill(0x20, 148, 156);
  b.write(type, 156, 'ascii');
  b.write('ustar\0', 257, 'ascii');
  b.write('00', 263, 'ascii');
  let sum = 0;
  for (const x of b) sum += x;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return b;
}

/** A small tar held in memory: the base layer. */
function smallTar(files: { name: string; data: string; mode?: number }[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of files) {
    const data = Buffer.from(f.data);
    parts.push(header(f.name, data.length, f.mode), data, Buffer.alloc(pad(data.length) - data.length));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

export interface LargeInstaller {
  size: number;
  packages: string[];
  /** sha256 of each package file, by package id. */
  sha256: Record<string, string>;
}

export interface LargeOptions {
  fileSize?: number;
  /**
   * Name the big layer's directory so that it sorts before the base layer's, as a hash may: it then arrives before
   * its parent and has to wait in a spool file. By default it sorts after, and follows the parent chain.
   */
  bigFirst?: boolean;
}

/** Writes an installer of about `bytes` (packages of `fileSize` random bytes each) to `file`. */
export async function writeLargeInstaller(
  file: string,
  bytes: number,
  opts: LargeOptions = {},
): Promise<LargeInstaller> {
  const fileSize = opts.fileSize ?? 64 * CHUNK;
  const count = Math.max(1, Math.ceil(bytes / fileSize));
  const packages = Array.from({ length: count }, (_, i) => `pkg${i}--1`);
  const base = smallTar([
    {
      name: 'installer_internal_wrapper',
      mode: 0o755,
      data: `#!/bin/bash\nexport DCOS_IMAGE_COMMIT=${LARGE_COMMIT}\nexport BOOTSTRAP_ID=${LARGE_BOOTSTRAP_ID}\nexport BOOTSTRAP_VARIANT=\n`,
    },
    {
      name: 'opt/mesosphere/lib/python3.6/site-packages/gen/calc.py',
      data: "entry = {'must': {'dcos_version': '1.11.7'}}\n",
    },
    { name: `artifacts/bootstrap/${LARGE_BOOTSTRAP_ID}.bootstrap.tar.xz`, data: 'bootstrap stand-in' },
    { name: `artifacts/bootstrap/${LARGE_BOOTSTRAP_ID}.active.json`, data: JSON.stringify(packages) },
    { name: 'artifacts/bootstrap/bootstrap.latest', data: LARGE_BOOTSTRAP_ID },
    {
      name: 'artifacts/complete/complete.latest.json',
      data: JSON.stringify({ bootstrap: LARGE_BOOTSTRAP_ID, packages }),
    },
  ]);
  const baseHex = createHash('sha256').update(base).digest('hex');
  const bigSize = count * (BLOCK + pad(fileSize)) + 2 * BLOCK;
  // As docker save: <dir>/VERSION, <dir>/json (id and parent), <dir>/layer.tar; base first in the manifest.
  const dirs = ['0aa0', opts.bigFirst ? '0000' : '0bb0'].map((d) => d.repeat(16));
  const v1 = dirs.map((d, i) => Buffer.from(JSON.stringify({ id: d, ...(i > 0 ? { parent: dirs[i - 1] } : {}) })));
  const metaSize = v1.reduce((n, j) => n + 2 * BLOCK + BLOCK + pad(j.length), 0);
  const configText = (bigHex: string): string =>
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [`sha256:${baseHex}`, `sha256:${bigHex}`] },
    });
  const manifestText = (configName: string): string =>
    JSON.stringify([
      { Config: configName, RepoTags: ['mesosphere/dcos-genconf:bench'], Layers: dirs.map((d) => `${d}/layer.tar`) },
    ]);
  const configSize = Buffer.byteLength(configText('0'.repeat(64)));
  const manifestSize = Buffer.byteLength(manifestText(`${'0'.repeat(64)}.json`));
  const innerSize =
    metaSize +
    BLOCK +
    pad(base.length) +
    BLOCK +
    pad(bigSize) +
    BLOCK +
    pad(configSize) +
    BLOCK +
    pad(manifestSize) +
    2 * BLOCK;
  const imageName = `dcos-genconf.${LARGE_COMMIT.slice(0, 18)}-${LARGE_BOOTSTRAP_ID.slice(0, 18)}.tar`;

  const out = createWriteStream(file, { mode: 0o644 });
  let written = 0;
  const write = async (b: Buffer): Promise<void> => {
    written += b.length;
    if (!out.write(b)) await once(out, 'drain');
  };
  const zeros = (n: number): Promise<void> => (n > 0 ? write(Buffer.alloc(n)) : Promise.resolve());

  await write(
    Buffer.from('#!/usr/bin/env bash\n# variant: open\necho "a synthetic installer for tests" >&2\nexit 1\n#EOF#\n'),
  );
  await write(header(imageName, innerSize));
  const small = async (name: string, data: Buffer): Promise<void> => {
    await write(header(name, data.length));
    await write(data);
    await zeros(pad(data.length) - data.length);
  };
  const layerDir = async (i: number): Promise<void> => {
    await small(`${dirs[i]}/VERSION`, Buffer.from('1.0'));
    await small(`${dirs[i]}/json`, v1[i]!);
  };
  // Inner tar, sorted by name as docker writes it: the layer directories, config, manifest.
  const big = createHash('sha256');
  const sums: Record<string, string> = {};
  const writeBase = async (): Promise<void> => {
    await layerDir(0);
    await small(`${dirs[0]}/layer.tar`, base);
  };
  if (!opts.bigFirst) await writeBase();
  await layerDir(1);
  await write(header(`${dirs[1]}/layer.tar`, bigSize));
  const bigWrite = async (b: Buffer): Promise<void> => {
    big.update(b);
    await write(b);
  };
  for (const id of packages) {
    const name = id.split('--')[0]!;
    await bigWrite(header(`artifacts/packages/${name}/${id}.tar.xz`, fileSize));
    const h = createHash('sha256');
    for (let left = fileSize; left > 0; left -= CHUNK) {
      const chunk = randomFillSync(Buffer.allocUnsafe(Math.min(CHUNK, left)));
      h.update(chunk);
      await bigWrite(chunk);
    }
    sums[id] = h.digest('hex');
    if (pad(fileSize) > fileSize) await bigWrite(Buffer.alloc(pad(fileSize) - fileSize));
  }
  await bigWrite(Buffer.alloc(2 * BLOCK));
  await zeros(pad(bigSize) - bigSize);
  if (opts.bigFirst) await writeBase();
  const config = Buffer.from(configText(big.digest('hex')));
  const configName = `${createHash('sha256').update(config).digest('hex')}.json`;
  await write(header(configName, config.length));
  await write(config);
  await zeros(pad(config.length) - config.length);
  const manifest = Buffer.from(manifestText(configName));
  await write(header('manifest.json', manifest.length));
  await write(manifest);
  await zeros(pad(manifest.length) - manifest.length);
  await zeros(2 * BLOCK); // end of the image tar
  await zeros(pad(innerSize) - innerSize);
  await zeros(2 * BLOCK); // end of the outer tar
  out.end();
  await once(out, 'finish');
  return { size: written, packages, sha256: sums };
}
