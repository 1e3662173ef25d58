import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OsUser } from './os-user.ts';

/** A pgpass line's field: `:` and `\` are escaped with a backslash. */
function pgpassField(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll(':', '\\:');
}

/**
 * Runs `use` with a private pgpass file holding one password for `host:port`, readable by the PostgreSQL
 * OS user only, as Patroni gives its replica methods: the connection string they receive carries no
 * password, and PGPASSFILE names the file. The file is removed afterwards.
 */
export async function withPgpassFile<T>(
  entry: { host: string; port: string; username: string; password: string | undefined },
  osUser: OsUser,
  use: (env: Record<string, string>) => Promise<T>,
): Promise<T> {
  if (entry.password === undefined) return use({});
  const dir = await mkdtemp(join(tmpdir(), 'natroni-pgpass-'));
  try {
    await chown(dir, osUser.uid, osUser.gid);
    const file = join(dir, 'pgpass');
    const line = [entry.host, entry.port, '*', entry.username, entry.password].map(pgpassField);
    await writeFile(file, `${line.join(':')}\n`, { mode: 0o600 });
    await chown(file, osUser.uid, osUser.gid);
    return await use({ PGPASSFILE: file });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
