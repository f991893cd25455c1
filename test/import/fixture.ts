/**
 * Synthetic DC/OS installers, built with tar-stream: a bash header, `#EOF#`, an outer tar holding one image tar in
 * the classic docker-save layout or the OCI layout, whose layers are tars themselves.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';

export interface Entry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  data?: string | Buffer;
  mode?: number;
  linkname?: string;
}

export interface LayerOptions {
  /** Put the file-type bits in each header's mode field (0100644, 040755, ...), as some tar writers do. */
  typeBits?: boolean;
}

const TYPE_BITS: Record<string, number> = { '0': 0o100000, '5': 0o40000, '2': 0o120000, '1': 0o100000 };

/** A tar of the entries, made by tar-stream (long names go to the ustar prefix or pax headers as it decides). */
export async function tarOf(entries: Entry[], opts: LayerOptions = {}): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c) => chunks.push(c as Buffer));
  const ended = new Promise<void>((resolve, reject) => {
    p.on('end', resolve);
    p.on('error', reject);
  });
  for (const e of entries) {
    const type = e.type ?? 'file';
    const data = type === 'file' ? Buffer.from(e.data ?? '') : undefined;
    p.entry(
      {
        name: e.name,
        type,
        mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644),
        linkname: e.linkname ?? '',
        ...(data ? { size: data.length } : {}),
      },
      data ?? Buffer.alloc(0),
    );
  }
  p.finalize();
  await ended;
  const buf = Buffer.concat(chunks);
  if (opts.typeBits) addTypeBits(buf);
  return buf;
}

/** Rewrites each ustar header's mode with the type bits tar-stream masks away, and fixes the checksum. */
function addTypeBits(buf: Buffer): void {
  let off = 0;
  while (off + 512 <= buf.length && buf[off] !== 0) {
    const size = parseInt(
      buf
        .toString('ascii', off + 124, off + 136)
        .replace(/\0.*$/, '')
        .trim() || '0',
      8,
    );
    const flag = String.fromCharCode(buf[off + 156]!);
    const bits = TYPE_BITS[flag];
    if (bits !== undefined) {
      const mode =
        parseInt(
          buf
            .toString('ascii', off + 100, off + 108)
            .replace(/\0.*$/, '')
            .trim(),
          8,
        ) | bits;
      buf.write(`${mode.toString(8).padStart(7, '0')}\0`, off + 100, 'ascii');
      buf.fill(0x20, off + 148, off + 156);
      let sum = 0;
      for (let i = off; i < off + 512; i += 1) sum += buf[i]!;
      buf.write(`${sum.toString(8).padStart(6, '0')}\0 `, off + 148, 'ascii');
    }
    off += 512 + Math.ceil(size / 512) * 512;
  }
}

export const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

export interface InstallerSpec {
  layers: Buffer[];
  layout?: 'docker-save' | 'oci';
  /** Manifest and config before the layers, so that every layer can be applied as it arrives. */
  manifestFirst?: boolean;
  /** 1-based layer whose diff_id in the config is wrong. */
  badDiffId?: number;
  /** Gzip the layer blobs (OCI only). */
  gzip?: boolean;
  commit: string;
  bootstrapId: string;
  /** `# variant:` line of the script; null for none. Default: the bootstrap variant, or `open`. */
  scriptVariant?: string | null;
  /** Leave out the `#EOF#` line. */
  noEof?: boolean;
  imageName?: string;
  /** Classic layout: the layer directory names (members are sorted by name, so these decide their order). */
  dirs?: string[];
  /** Classic layout: the parent each `<dir>/json` names, when it should not be the previous layer. */
  parents?: (string | null)[];
}

export function script(spec: Pick<InstallerSpec, 'scriptVariant' | 'noEof'>, variant = ''): string {
  const v = spec.scriptVariant === undefined ? variant || 'open' : spec.scriptVariant;
  return [
    '#!/usr/bin/env bash',
    ...(v === null ? ['# a DC/OS installer stand-in'] : [`# variant: ${v}`]),
    'set -o errexit -o nounset -o pipefail',
    'echo "this stand-in only carries an image" >&2',
    'exit 1',
    ...(spec.noEof ? [] : ['#EOF#']),
    '',
  ].join('\n');
}

/** The installer bytes. */
export async function buildInstaller(spec: InstallerSpec): Promise<Buffer> {
  const imageName = spec.imageName ?? `dcos-genconf.${spec.commit.slice(0, 18)}-${spec.bootstrapId.slice(0, 18)}.tar`;
  const image = await imageTar(spec);
  const outer = await tarOf([{ name: imageName, data: image }]);
  return Buffer.concat([Buffer.from(script(spec)), outer]);
}

async function imageTar(spec: InstallerSpec): Promise<Buffer> {
  const diffIds = spec.layers.map(
    (l, i) => `sha256:${i + 1 === spec.badDiffId ? sha256(Buffer.concat([l, Buffer.from('x')])) : sha256(l)}`,
  );
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: diffIds } }),
  );
  const configHex = sha256(config);
  const members: Entry[] = [];
  let meta: Entry[];
  if ((spec.layout ?? 'docker-save') === 'docker-save') {
    const dirs = spec.dirs ?? spec.layers.map((l, i) => sha256(`${i}:${sha256(l)}`));
    const parentOf = (i: number): string | null | undefined =>
      spec.parents ? spec.parents[i] : i > 0 ? dirs[i - 1] : null;
    spec.layers.forEach((l, i) => {
      members.push(
        { name: `${dirs[i]}/VERSION`, data: '1.0' },
        {
          name: `${dirs[i]}/json`,
          data: JSON.stringify({ id: dirs[i], ...(parentOf(i) ? { parent: parentOf(i) } : {}) }),
        },
        { name: `${dirs[i]}/layer.tar`, data: l },
      );
    });
    members.push({ name: `${configHex}.json`, data: config });
    meta = [
      {
        name: 'manifest.json',
        data: JSON.stringify([
          {
            Config: `${configHex}.json`,
            RepoTags: ['mesosphere/dcos-genconf:test'],
            Layers: dirs.map((d) => `${d}/layer.tar`),
          },
        ]),
      },
      { name: 'repositories', data: JSON.stringify({ 'mesosphere/dcos-genconf': { test: dirs.at(-1) } }) },
    ];
  } else {
    const blobs = spec.layers.map((l) => (spec.gzip ? gzipSync(l) : l));
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: `sha256:${configHex}`,
          size: config.length,
        },
        layers: blobs.map((b) => ({
          mediaType: `application/vnd.oci.image.layer.v1.tar${spec.gzip ? '+gzip' : ''}`,
          digest: `sha256:${sha256(b)}`,
          size: b.length,
        })),
      }),
    );
    for (const b of [...blobs, config, manifest]) members.push({ name: `blobs/sha256/${sha256(b)}`, data: b });
    meta = [
      {
        name: 'index.json',
        data: JSON.stringify({
          schemaVersion: 2,
          manifests: [
            {
              mediaType: 'application/vnd.oci.image.manifest.v1+json',
              digest: `sha256:${sha256(manifest)}`,
              size: manifest.length,
            },
          ],
        }),
      },
      { name: 'oci-layout', data: '{"imageLayoutVersion":"1.0.0"}' },
    ];
  }
  // docker save writes members sorted by name; manifest.json and index.json then come after the layers.
  const sorted = [...members, ...meta].sort((a, b) => (a.name < b.name ? -1 : 1));
  if (spec.manifestFirst) {
    // As a streaming writer would: manifest and config first, then the layers in their order.
    const first = members.filter((m) => m.data === config || m.name.endsWith('.json'));
    return tarOf([...meta, ...first, ...members.filter((m) => !first.includes(m))]);
  }
  return tarOf(sorted);
}

export const BOOTSTRAP_ID = '5df43052907c021eeb5de145419a3da1898c58a5';
export const COMMIT = '14509fe1e7899f439527fb39867194c7a425c771';

export function wrapper(bootstrapId = BOOTSTRAP_ID, variant = '', commit = COMMIT): string {
  return [
    '#!/bin/bash',
    `export DCOS_IMAGE_COMMIT=${commit}`,
    `export BOOTSTRAP_ID=${bootstrapId}`,
    `export BOOTSTRAP_VARIANT=${variant}`,
    'exec dcos_installer "$@"',
    '',
  ].join('\n');
}

export const CALC_PY =
  "entry = {\n    'must': {\n        'dcos_version': '1.11.7',\n        'dcos_variant': 'open',\n    },\n}\n";

/** The base layer of a consistent installer: wrapper, calc.py and a complete /artifacts tree. */
export function baseLayer(packages: string[], bootstrapId = BOOTSTRAP_ID, variant = '', extra: Entry[] = []): Entry[] {
  const prefix = variant === '' ? '' : `${variant}.`;
  return [
    { name: 'installer_internal_wrapper', data: wrapper(bootstrapId, variant), mode: 0o755 },
    { name: 'opt/mesosphere/lib/python3.6/site-packages/gen/calc.py', data: CALC_PY },
    { name: 'artifacts/', type: 'directory' },
    { name: 'artifacts/bootstrap/', type: 'directory' },
    { name: `artifacts/bootstrap/${bootstrapId}.bootstrap.tar.xz`, data: `bootstrap ${bootstrapId}` },
    { name: `artifacts/bootstrap/${bootstrapId}.active.json`, data: JSON.stringify(packages) },
    { name: `artifacts/bootstrap/${prefix}bootstrap.latest`, data: bootstrapId },
    { name: 'artifacts/complete/', type: 'directory' },
    {
      name: `artifacts/complete/${prefix}complete.latest.json`,
      data: JSON.stringify({ bootstrap: bootstrapId, packages }),
    },
    ...packages.map((id) => ({ name: `artifacts/packages/${id.split('--')[0]}/${id}.tar.xz`, data: `package ${id}` })),
    ...extra,
  ];
}

/** A plain consistent installer with the given packages. */
export async function simpleInstaller(
  packages = ['mesos--1.5.0', 'dcos-net--abc_1'],
  more: Partial<InstallerSpec> = {},
): Promise<Buffer> {
  return buildInstaller({
    layers: [await tarOf(baseLayer(packages))],
    commit: COMMIT,
    bootstrapId: BOOTSTRAP_ID,
    ...more,
  });
}
