import type { MemberConfig } from '../../../../libs/member-config/src/index.ts';
import { syncDataDir } from './data-dir-sync.ts';
import type { OsUser } from './os-user.ts';
import { conninfo } from './postgres-settings.ts';
import { runPostgresTool } from './postgres-tool.ts';

const BASEBACKUP_TIMEOUT_MS = 30 * 60_000;
const SLOT_TIMEOUT_MS = 30_000;

function replicationAccess(config: MemberConfig, connUrl: string) {
  const { username, password } = config.postgresql.authentication.replication;
  return {
    conninfo: conninfo(connUrl, { username }, config.name),
    env: password === undefined ? undefined : { PGPASSWORD: password },
  };
}

/** Creates this member's physical slot on `connUrl` unless it exists, over a replication connection. */
export async function ensureReplicationSlot(
  config: MemberConfig,
  osUser: OsUser,
  connUrl: string,
  slotName: string,
): Promise<void> {
  const access = replicationAccess(config, connUrl);
  await runPostgresTool(
    'pg_receivewal',
    ['--create-slot', '--if-not-exists', `--slot=${slotName}`, `--dbname=${access.conninfo}`],
    { binDir: config.postgresql.bin_dir, osUser, timeoutMs: SLOT_TIMEOUT_MS, env: access.env },
  );
}

/** pg_basebackup of `connUrl` into the (empty) data directory, streaming the WAL it needs. */
export async function runBaseBackup(
  config: MemberConfig,
  osUser: OsUser,
  connUrl: string,
  slotName: string | undefined,
): Promise<void> {
  const access = replicationAccess(config, connUrl);
  const args = [
    `--pgdata=${config.postgresql.data_dir}`,
    `--dbname=${access.conninfo}`,
    '--wal-method=stream',
    '--checkpoint=fast',
    '--no-password',
    '--no-sync',
  ];
  if (slotName !== undefined) args.push(`--slot=${slotName}`);
  await runPostgresTool('pg_basebackup', args, {
    binDir: config.postgresql.bin_dir,
    osUser,
    timeoutMs: BASEBACKUP_TIMEOUT_MS,
    env: access.env,
  });
  await syncDataDir(config.postgresql.data_dir);
}
