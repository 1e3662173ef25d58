import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

const SYNC_TIMEOUT_MS = 120_000;

/**
 * The paths whose file systems hold a data directory: the directory itself, its WAL directory and its
 * tablespaces (both may be symbolic links to other file systems).
 */
export async function dataDirFileSystems(dataDir: string): Promise<string[]> {
  const tablespaces = await readdir(join(dataDir, 'pg_tblspc')).catch(() => []);
  return [
    dataDir,
    join(dataDir, 'pg_wal'),
    ...tablespaces.map((oid) => join(dataDir, 'pg_tblspc', oid)),
  ];
}

/**
 * Makes a data directory that initdb or pg_basebackup wrote with --no-sync durable, with one syncfs(2)
 * per file system, as PostgreSQL 17's `--sync-method=syncfs` does (15 only has the fsync of every file).
 * On this machine kind, initdb's own pass over a new cluster's 1,000 files takes 0.13-0.17 s and
 * syncfs 0.03 s, and a bootstrap waits for it twice: the primary's initdb, then the replicas' clones.
 * As PostgreSQL's documentation says of syncfs, it also flushes other files on the same file system.
 * coreutils' `sync --file-system` is the syncfs(2) call, which Node.js does not offer.
 */
export async function syncDataDir(dataDir: string): Promise<void> {
  const paths = await dataDirFileSystems(dataDir);
  await new Promise<void>((resolve, reject) => {
    execFile(
      'sync',
      ['--file-system', ...paths],
      { timeout: SYNC_TIMEOUT_MS, killSignal: 'SIGKILL' },
      (error, _stdout, stderr) => {
        if (!error) return resolve();
        reject(
          new Error(`sync --file-system ${dataDir} failed: ${stderr.trim() || error.message}`),
        );
      },
    );
  });
}
