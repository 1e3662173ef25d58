import { readdir, rm } from 'node:fs/promises';
import { Logger } from '@nestjs/common';
import {
  BASEBACKUP_METHOD,
  basebackupArguments,
  parseConnUrl,
  replicaMethodCall,
  replicaMethodOrder,
} from '../../../../libs/domain/src/index.ts';
import type { MemberConfig } from '../../../../libs/member-config/src/index.ts';
import { prepareDataDir } from './cluster-creation.ts';
import { syncDataDir } from './data-dir-sync.ts';
import { runMethodCommand } from './method-command.ts';
import type { OsUser } from './os-user.ts';
import { withPgpassFile } from './pgpass-file.ts';
import { conninfo } from './postgres-settings.ts';
import { runPostgresTool } from './postgres-tool.ts';

const BASEBACKUP_TIMEOUT_MS = 30 * 60_000;
/** A custom replica method (a restore from a backup) is given as long as a base backup. */
const REPLICA_METHOD_TIMEOUT_MS = BASEBACKUP_TIMEOUT_MS;
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

/**
 * pg_basebackup of `connUrl` into the (empty) data directory, streaming the WAL it needs, with the
 * member's `postgresql.basebackup` options after natroni's own (so that, e.g., `checkpoint: spread` wins).
 */
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
  args.push(...basebackupArguments(config.postgresql.basebackup).args);
  await runPostgresTool('pg_basebackup', args, {
    binDir: config.postgresql.bin_dir,
    osUser,
    timeoutMs: BASEBACKUP_TIMEOUT_MS,
    env: access.env,
  });
  await syncDataDir(config.postgresql.data_dir);
}

/** Where a replica is created from: a member's conn_url, or nothing (only `no_leader` methods then). */
export interface ReplicaSource {
  readonly connUrl: string;
  readonly slotName: string | undefined;
}

/** No replica creation method could run or succeed; `tried` is empty when none could run. */
export class ReplicaCreationError extends Error {
  override readonly name = 'ReplicaCreationError';
  constructor(
    readonly tried: readonly string[],
    failures: readonly string[],
  ) {
    super(
      tried.length === 0
        ? 'no replica creation method works without a member to copy from (none has no_leader)'
        : `every replica creation method failed: ${failures.join('; ')}`,
    );
  }
}

/** Which replica creation methods a copy may use. */
export interface ReplicaMethodChoice {
  /**
   * `postgresql.create_replica_methods`, or in a standby cluster `standby_cluster.create_replica_methods`
   * (both name sections of `postgresql`); empty means basebackup alone.
   */
  readonly methods: readonly string[];
  /** A reinitialize `--from-leader`: basebackup alone. */
  readonly fromLeader: boolean;
}

/**
 * Patroni's `create_replica`: each method in turn (basebackup when none is configured, and alone for a
 * reinitialize from the leader) until one succeeds. A custom method runs in an emptied data directory
 * unless `keep_data`, and the directory is emptied again after it fails. Returns the method that
 * created the replica.
 */
export async function createReplica(
  config: MemberConfig,
  osUser: OsUser,
  source: ReplicaSource | undefined,
  choice: ReplicaMethodChoice,
): Promise<string> {
  const logger = new Logger('ReplicaCreation');
  const { data_dir: dataDir, replica_method_options: options } = config.postgresql;
  const methods = replicaMethodOrder({
    methods: choice.methods,
    options,
    withSource: source !== undefined,
    fromLeader: choice.fromLeader,
  });
  const failures: string[] = [];
  const replication = config.postgresql.authentication.replication;
  const pgpassEntry = {
    endpoints: source ? parseConnUrl(source.connUrl).endpoints : [],
    username: replication.username,
    password: source ? replication.password : undefined,
  };
  const connstring = source ? conninfo(source.connUrl, { username: replication.username }) : '';
  for (const method of methods) {
    try {
      // replicaMethodOrder offers basebackup only when there is a source.
      if (method === BASEBACKUP_METHOD && source) {
        if (!(await isEmpty(dataDir))) await emptyDataDir(dataDir, osUser);
        await runBaseBackup(config, osUser, source.connUrl, source.slotName);
      } else {
        const call = replicaMethodCall(method, options[method], {
          scope: config.scope,
          dataDir,
          connstring,
        });
        if (!call.keepData) await emptyDataDir(dataDir, osUser);
        else logger.log({ msg: 'Leaving data directory uncleaned', method });
        try {
          await withPgpassFile(pgpassEntry, osUser, (env) =>
            runMethodCommand(method, call, { osUser, timeoutMs: REPLICA_METHOD_TIMEOUT_MS, env }),
          );
        } catch (error) {
          if (!call.keepData) await emptyDataDir(dataDir, osUser);
          throw error;
        }
        await syncDataDir(dataDir);
      }
      logger.log({ msg: `replica has been created using ${method}`, method });
      return method;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      logger.error({ msg: `Error creating replica using method ${method}`, method, err: error });
      failures.push(`${method}: ${reason}`);
    }
  }
  throw new ReplicaCreationError(methods, failures);
}

async function isEmpty(dataDir: string): Promise<boolean> {
  return (await readdir(dataDir).catch(() => [])).length === 0;
}

async function emptyDataDir(dataDir: string, osUser: OsUser): Promise<void> {
  await rm(dataDir, { recursive: true, force: true });
  await prepareDataDir(dataDir, osUser);
}
