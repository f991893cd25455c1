/**
 * Writes the generated templates into the output directory: every file is written beside its final name and renamed
 * into place, so a failed run never leaves a half-written template behind.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../errors.js';

export async function writeTemplates(
  outDir: string,
  files: ReadonlyArray<readonly [name: string, text: string]>,
): Promise<string[]> {
  try {
    await fs.mkdir(outDir, { recursive: true });
  } catch (err) {
    throw new InputError(
      `cannot create the output directory ${outDir}: ${(err as Error).message}`,
      outDir,
      'choose another --out',
    );
  }
  const temps: string[] = [];
  try {
    for (const [name, text] of files) {
      const tmp = path.join(outDir, `.${name}.${process.pid}.tmp`);
      temps.push(tmp);
      await fs.writeFile(tmp, text, { mode: 0o644 });
    }
    for (const [i, [name]] of files.entries()) await fs.rename(temps[i]!, path.join(outDir, name));
  } catch (err) {
    await Promise.all(temps.map((t) => fs.rm(t, { force: true })));
    throw new InputError(`cannot write the templates into ${outDir}: ${(err as Error).message}`, outDir);
  }
  return files.map(([name]) => path.join(outDir, name));
}
