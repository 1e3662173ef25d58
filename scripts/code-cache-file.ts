import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Where the code cache of a bundle's app.cjs lives: named after the file's size and modification time,
 * because V8 checks only the source length, and a rebuilt bundle of the same length must not run stale
 * code. A build that leaves app.cjs unchanged keeps its time, and so its cache.
 */
export function codeCacheFile(appFile: string): string {
  const { size, mtimeMs } = statSync(appFile);
  return join(dirname(appFile), 'code-cache', `${size}-${Math.trunc(mtimeMs)}.bin`);
}
