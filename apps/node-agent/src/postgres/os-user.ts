import { execFile } from 'node:child_process';
import { userInfo } from 'node:os';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface OsUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/**
 * The OS user PostgreSQL runs as: as root (PostgreSQL refuses root), the configured `os_user`
 * (`postgres` by default); otherwise the agent's own user.
 */
export async function resolvePostgresOsUser(configured: string | undefined): Promise<OsUser> {
  if (process.getuid?.() !== 0) {
    const me = userInfo();
    return { name: me.username, uid: me.uid, gid: me.gid };
  }
  const name = configured ?? 'postgres';
  try {
    const { stdout } = await run('getent', ['passwd', name]);
    const [, , uid, gid] = stdout.trim().split(':');
    return { name, uid: Number(uid), gid: Number(gid) };
  } catch {
    throw new Error(`the OS user "${name}" that should run PostgreSQL does not exist`);
  }
}
