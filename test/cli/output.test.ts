/**
 * The built CLI as a real process whose stdout is a pipe with a slow reader, a reader that closes early, or a full
 * device: the whole document reaches a slow reader, nothing crashes with a stack trace, and the exit code is the
 * documented one (74 when a run that succeeded could not write its output).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(REPO, 'dist/cli/main.js');
const built = fs.existsSync(CLI);

/** Run `genconf ARGS | READER` in bash; prints the CLI's exit status on fd 3 … captured via a file. */
function pipeline(cwd: string, args: string, reader: string): { cliStatus: number; readerOut: string; stderr: string } {
  const statusFile = path.join(cwd, 'status');
  const errFile = path.join(cwd, 'stderr');
  const script = `node ${JSON.stringify(CLI)} ${args} 2>${JSON.stringify(errFile)} | ${reader}; echo "\${PIPESTATUS[0]}" > ${JSON.stringify(statusFile)}`;
  const r = spawnSync('bash', ['-c', script], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return {
    cliStatus: Number(fs.readFileSync(statusFile, 'utf8').trim()),
    readerOut: r.stdout,
    stderr: fs.readFileSync(errFile, 'utf8'),
  };
}

describe.runIf(built || process.env.CI === 'true')('stdout that is a slow, closed or full pipe', () => {
  let work: string;
  let expectedBytes: number;

  beforeAll(() => {
    expect(built, 'run `npm run build` first').toBe(true);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'genconf-output-'));
    fs.cpSync(path.join(REPO, 'genconf-examples/3-masters-static/genconf'), path.join(work, 'genconf'), {
      recursive: true,
    });
    // --validate-config checks that the SSH key config.yaml names exists; its content is not read.
    fs.writeFileSync(path.join(work, 'genconf/ssh_key'), 'not read by --validate-config\n', { mode: 0o600 });
    // Enough unknown keys (each a warning in the --json document) to make the document far bigger than a pipe buffer.
    const extra = Array.from({ length: 1000 }, (_, i) => `unknown_key_number_${i}: v\n`).join('');
    fs.appendFileSync(path.join(work, 'genconf/config.yaml'), extra);
    const full = spawnSync('node', [CLI, '--validate-config', '--json'], {
      cwd: work,
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    expect(full.status).toBe(0);
    expectedBytes = Buffer.byteLength(full.stdout);
    expect(expectedBytes).toBeGreaterThan(150_000);
  });

  afterAll(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('a slow reader receives the whole --json document', () => {
    const r = pipeline(work, '--validate-config --json', '(sleep 1; wc -c)');
    expect(Number(r.readerOut.trim())).toBe(expectedBytes);
    expect(r.cliStatus).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('a reader that closes early gets no stack trace, and exit 74 says the output was lost', () => {
    const r = pipeline(work, '--validate-config --json', 'head -c 10 >/dev/null');
    expect(r.stderr).not.toMatch(/\bat \S+ \(|internal error|Unhandled|EPIPE.*\n\s+at /);
    expect(r.stderr).toContain('standard output could not be written (EPIPE)');
    expect(r.cliStatus).toBe(74);
  });

  it('an invalid config keeps exit 1 even when its output is lost', () => {
    fs.copyFileSync(path.join(work, 'genconf/config.yaml'), path.join(work, 'config.keep'));
    try {
      fs.appendFileSync(path.join(work, 'genconf/config.yaml'), 'ssh_port: not-a-port\n');
      const r = pipeline(work, '--validate-config --json', 'head -c 10 >/dev/null');
      expect(r.stderr).not.toContain('internal error');
      expect(r.cliStatus).toBe(1);
    } finally {
      fs.copyFileSync(path.join(work, 'config.keep'), path.join(work, 'genconf/config.yaml'));
    }
  });

  it('--version into a closed pipe and into /dev/full: a one-line error, no trace', () => {
    const closed = pipeline(work, '--version', '(exec 0<&-; true)');
    expect(closed.stderr).not.toContain('    at ');
    expect([0, 74]).toContain(closed.cliStatus);
    const full = spawnSync('bash', ['-c', `node ${JSON.stringify(CLI)} --validate-config --json > /dev/full`], {
      cwd: work,
      encoding: 'utf8',
    });
    expect(full.stderr).toContain('standard output could not be written (ENOSPC)');
    expect(full.stderr).not.toContain('    at ');
    expect(full.status).toBe(74);
  });
});
