import { execFile } from 'node:child_process';
import { userInfo } from 'node:os';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface OsUser {
  uid: number;
  gid: number;
  name: string;
}

/** getent's exit code when the user does not exist. */
const GETENT_NOT_FOUND = 2;

async function lookUpUser(name: string): Promise<OsUser | undefined> {
  try {
    const { stdout } = await run('getent', ['passwd', name]);
    const [, , uid, gid] = stdout.trim().split(':');
    return { name, uid: Number(uid), gid: Number(gid) };
  } catch (error) {
    if ((error as { code?: unknown }).code === GETENT_NOT_FOUND) return undefined;
    throw error;
  }
}

async function findOrCreateUser(): Promise<OsUser> {
  if (process.getuid?.() !== 0) {
    const me = userInfo();
    return { uid: me.uid, gid: me.gid, name: me.username };
  }
  const name = process.env.NATRONI_PG_OS_USER || 'natroni';
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const existing = await lookUpUser(name);
    if (existing) return existing;
    try {
      await run('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', name]);
    } catch (error) {
      // Another test process may have created the user (or held the passwd lock) meanwhile: look again.
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  const reason = (lastError as Error | undefined)?.message ?? String(lastError);
  throw new Error(`could not create the OS user "${name}" to run PostgreSQL: ${reason}`);
}

let pending: Promise<OsUser> | undefined;

/**
 * PostgreSQL refuses to run as root. As root, returns (creating it when missing) the system user
 * that runs the test servers: `natroni`, or NATRONI_PG_OS_USER. Otherwise returns the current user.
 */
export function ensureUnprivilegedUser(): Promise<OsUser> {
  pending ??= findOrCreateUser().catch((error: unknown) => {
    pending = undefined;
    throw error;
  });
  return pending;
}
