import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { codeCacheFile } from './code-cache-file.ts';

/**
 * Writes `text` unless the file holds it already. esbuild's output is the same for the same input, so an
 * unchanged service keeps its app.cjs's modification time, and with it the code cache that its last run
 * wrote: `npm start` builds every time, and its cluster then starts warm. A changed file is replaced in
 * one rename, so that a service starting meanwhile reads the old bundle or the new one, never half of one.
 */
export async function writeIfChanged(file: string, text: string): Promise<void> {
  const current = await readFile(file, 'utf8').catch(() => undefined);
  if (current === text) return;
  await mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}`;
  await writeFile(temporary, text);
  await rename(temporary, file);
}

/** Removes what older builds left: the bundles of services gone since, and the caches of older app.cjs. */
export async function removeLeftovers(
  bundles: string,
  apps: readonly string[],
  files: readonly string[],
): Promise<void> {
  const expected = new Set<string>([...apps, ...files]);
  for (const entry of await readdir(bundles)) {
    if (!expected.has(entry)) await rm(join(bundles, entry), { recursive: true, force: true });
  }
  for (const app of apps) {
    const current = basename(codeCacheFile(join(bundles, app, 'app.cjs')));
    const cacheDir = join(bundles, app, 'code-cache');
    for (const file of await readdir(cacheDir).catch(() => [])) {
      if (file !== current) await rm(join(cacheDir, file), { force: true });
    }
  }
}
