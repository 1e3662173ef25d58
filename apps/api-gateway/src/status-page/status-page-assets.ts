import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The built page, as `npm run build` writes it (scripts/bundle-status-page.ts). */
export const STATUS_PAGE_FILES = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
} as const;

export type StatusPageFile = keyof typeof STATUS_PAGE_FILES;

/**
 * dist/status-page, found from wherever this code runs: a service bundle (dist/bundles/<app>/), tsc's
 * output (dist/apps/...) or the sources under jest; undefined when the page was not built.
 */
export function statusPageDirectory(from = __dirname): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    for (const candidate of [join(dir, 'status-page'), join(dir, 'dist', 'status-page')]) {
      if (existsSync(join(candidate, 'index.html'))) return candidate;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** The page's files, read once; what is missing reads as undefined. */
export class StatusPageAssets {
  private readonly files = new Map<StatusPageFile, Buffer>();

  constructor(directory = statusPageDirectory()) {
    if (!directory) return;
    for (const name of Object.keys(STATUS_PAGE_FILES) as StatusPageFile[]) {
      const path = join(directory, name);
      if (existsSync(path)) this.files.set(name, readFileSync(path));
    }
  }

  file(name: string): { body: Buffer; type: string } | undefined {
    if (!Object.hasOwn(STATUS_PAGE_FILES, name)) return undefined;
    const body = this.files.get(name as StatusPageFile);
    return body && { body, type: STATUS_PAGE_FILES[name as StatusPageFile] };
  }
}
