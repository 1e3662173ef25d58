import { execFile } from 'node:child_process';
import { chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type pg from 'pg';
import { customBootstrapCall } from '../../../../libs/domain/src/index.ts';
import type { MemberConfig } from '../../../../libs/member-config/src/index.ts';
import { syncDataDir } from './data-dir-sync.ts';
import { runMethodCommand } from './method-command.ts';
import type { OsUser } from './os-user.ts';
import { quoteIdentifier, quoteLiteral } from './postgres-pool.ts';
import { runPostgresTool } from './postgres-tool.ts';

const INITDB_TIMEOUT_MS = 120_000;
const POST_BOOTSTRAP_TIMEOUT_MS = 120_000;

/** Patroni's `bootstrap.initdb` list: `- data-checksums` → --data-checksums, `- encoding: UTF8` → --encoding=UTF8. */
export function initdbArguments(options: MemberConfig['bootstrap']['initdb']): string[] {
  return options.flatMap((option) =>
    typeof option === 'string'
      ? [`--${option}`]
      : Object.entries(option).map(([name, value]) => `--${name}=${value}`),
  );
}

/**
 * Creates an empty data directory owned by the PostgreSQL user, and its missing parents readable by
 * all, so that the unprivileged user can reach it.
 */
export async function prepareDataDir(dataDir: string, osUser: OsUser): Promise<void> {
  await mkdir(dirname(dataDir), { recursive: true, mode: 0o755 });
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await chown(dataDir, osUser.uid, osUser.gid);
}

/** initdb as the PostgreSQL user, with the superuser's password given through a private file. */
export async function runInitdb(config: MemberConfig, osUser: OsUser): Promise<void> {
  const { data_dir: dataDir, bin_dir: binDir } = config.postgresql;
  const superuser = config.postgresql.authentication.superuser;
  await prepareDataDir(dataDir, osUser);
  const secretDir = await mkdtemp(join(tmpdir(), 'natroni-initdb-'));
  try {
    await chown(secretDir, osUser.uid, osUser.gid);
    const args = [`--pgdata=${dataDir}`, `--username=${superuser.username}`, '--no-sync'];
    if (superuser.password !== undefined) {
      const pwfile = join(secretDir, 'pwfile');
      await writeFile(pwfile, `${superuser.password}\n`, { mode: 0o600 });
      await chown(pwfile, osUser.uid, osUser.gid);
      args.push(`--pwfile=${pwfile}`);
    }
    args.push(...initdbArguments(config.bootstrap.initdb));
    await runPostgresTool('initdb', args, {
      binDir,
      osUser,
      timeoutMs: INITDB_TIMEOUT_MS,
      cwd: secretDir,
    });
    await syncDataDir(dataDir);
  } finally {
    await rm(secretDir, { recursive: true, force: true });
  }
}

/**
 * Patroni's custom bootstrap: `bootstrap.<method>.command` with `--scope`, `--datadir` (unless
 * `no_params`) and the section's other keys as `--key=value`, run in an empty data directory.
 */
export async function runCustomBootstrap(
  config: MemberConfig,
  osUser: OsUser,
  timeoutMs: number,
): Promise<void> {
  const { method, method_options: options } = config.bootstrap;
  if (!options) throw new Error(`bootstrap.${method} is not configured`);
  const dataDir = config.postgresql.data_dir;
  await prepareDataDir(dataDir, osUser);
  const call = customBootstrapCall(options.section, { scope: config.scope, dataDir });
  await runMethodCommand(method, call, { osUser, timeoutMs });
  await syncDataDir(dataDir);
}

/** The replication user (and the rewind user, if configured) as Patroni creates them after initdb. */
export async function createClusterUsers(pool: pg.Pool, config: MemberConfig): Promise<void> {
  const { replication, rewind } = config.postgresql.authentication;
  await createRole(pool, replication.username, replication.password, 'LOGIN REPLICATION');
  if (rewind && rewind.username !== config.postgresql.authentication.superuser.username) {
    await createRole(pool, rewind.username, rewind.password, 'LOGIN');
    const name = quoteIdentifier(rewind.username);
    for (const fn of [
      'pg_catalog.pg_ls_dir(text, boolean, boolean)',
      'pg_catalog.pg_stat_file(text, boolean)',
      'pg_catalog.pg_read_binary_file(text)',
      'pg_catalog.pg_read_binary_file(text, bigint, bigint, boolean)',
    ]) {
      await pool.query(`GRANT EXECUTE ON FUNCTION ${fn} TO ${name}`);
    }
  }
}

async function createRole(
  pool: pg.Pool,
  username: string,
  password: string | undefined,
  attributes: string,
): Promise<void> {
  const passwordClause = password === undefined ? '' : ` PASSWORD ${quoteLiteral(password)}`;
  const { rows } = await pool.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [username]);
  const verb = rows.length === 0 ? 'CREATE' : 'ALTER';
  await pool.query(`${verb} ROLE ${quoteIdentifier(username)} WITH ${attributes}${passwordClause}`);
}

/** Runs `bootstrap.post_bootstrap` with the superuser's connection URL as its argument, as Patroni does. */
export function runPostBootstrap(command: string, connectionUrl: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      '/bin/sh',
      ['-c', `${command} "$@"`, 'post_bootstrap', connectionUrl],
      { timeout: POST_BOOTSTRAP_TIMEOUT_MS, killSignal: 'SIGKILL' },
      (error, _stdout, stderr) => {
        if (!error) return resolve();
        reject(new Error(`post_bootstrap command failed: ${stderr.trim() || error.message}`));
      },
    );
  });
}
