import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnEndpoint } from '../../../../libs/domain/src/index.ts';
import type { OsUser } from './os-user.ts';

/** A pgpass line's field: `:` and `\` are escaped with a backslash. */
function pgpassField(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll(':', '\\:');
}

/**
 * Runs `use` with a private pgpass file holding the password for each `host:port`, readable by the PostgreSQL
 * OS user only, as Patroni gives its replica methods: the connection string they receive carries no
 * password, and PGPASSFILE names the file. The file is removed afterwards.
 */
export async function withPgpassFile<T>(
  entry: {
    endpoints: readonly ConnEndpoint[];
    username: string;
    password: string | undefined;
  },
  osUser: OsUser,
  use: (env: Record<string, string>) => Promise<T>,
): Promise<T> {
  if (entry.password === undefined) return use({});
  const dir = await mkdtemp(join(tmpdir(), 'natroni-pgpass-'));
  try {
    await chown(dir, osUser.uid, osUser.gid);
    const file = join(dir, 'pgpass');
    const { username, password } = entry;
    const lines = entry.endpoints.map(({ host, port }) =>
      [host, port, '*', username, password].map(pgpassField).join(':'),
    );
    await writeFile(file, lines.map((line) => `${line}\n`).join(''), { mode: 0o600 });
    await chown(file, osUser.uid, osUser.gid);
    return await use({ PGPASSFILE: file });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
