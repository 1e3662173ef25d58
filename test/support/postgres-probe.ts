import pg from 'pg';
import {
  LOCAL_CLUSTER_SUPERUSER,
  type LocalCluster,
  type LocalMember,
} from '../../libs/harness/src/index.ts';

/** The local cluster's superuser, as pg.Client settings. */
export const SUPERUSER = {
  user: LOCAL_CLUSTER_SUPERUSER.username,
  password: LOCAL_CLUSTER_SUPERUSER.password,
  database: 'postgres',
};

/** Whether the member is in recovery: false on a primary, true on a replica. */
export const RECOVERY_QUERY = 'SELECT pg_is_in_recovery() AS recovery';
/** The members streaming from the primary this runs on, by name. */
export const STREAMING_QUERY =
  "SELECT application_name FROM pg_stat_replication WHERE state = 'streaming' ORDER BY 1";

/** A superuser client of the member's PostgreSQL, not yet connected, with `timeoutMs` on every step. */
export function probeClient(member: LocalMember, timeoutMs: number): pg.Client {
  const client = new pg.Client({
    host: '127.0.0.1',
    port: member.ports.postgres,
    ...SUPERUSER,
    connectionTimeoutMillis: timeoutMs,
    statement_timeout: timeoutMs,
    query_timeout: timeoutMs,
  });
  client.on('error', () => undefined);
  return client;
}

export async function withClient<T>(
  member: LocalMember,
  work: (client: pg.Client) => Promise<T>,
  timeoutMs = 2_000,
): Promise<T> {
  const client = probeClient(member, timeoutMs);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The member's PostgreSQL answers and is not in recovery; false when it is down or a replica. */
export async function isPrimary(member: LocalMember): Promise<boolean> {
  try {
    return await withClient(member, async (client) => {
      const result = await client.query<{ recovery: boolean }>(RECOVERY_QUERY);
      return result.rows[0]?.recovery === false;
    });
  } catch {
    return false;
  }
}

/** The member's PostgreSQL answers and is in recovery: a running replica. */
export async function isReplica(member: LocalMember): Promise<boolean> {
  try {
    return await withClient(member, async (client) => {
      const result = await client.query<{ recovery: boolean }>(RECOVERY_QUERY);
      return result.rows[0]?.recovery === true;
    });
  } catch {
    return false;
  }
}

export async function primaries(cluster: LocalCluster): Promise<string[]> {
  const answers = await Promise.all(
    cluster.members.map(async (member) => ((await isPrimary(member)) ? member.name : undefined)),
  );
  return answers.filter((name): name is string => name !== undefined);
}

/** Names of the members streaming from `primary`, from its pg_stat_replication. */
export async function streamingReplicas(primary: LocalMember): Promise<string[]> {
  try {
    return await withClient(primary, async (client) => {
      const result = await client.query<{ application_name: string }>(STREAMING_QUERY);
      return result.rows.map((row) => row.application_name);
    });
  } catch {
    return [];
  }
}

/**
 * Attempts a write on every member at once, every `everyMs`, and records each round in which more than
 * one member accepted it: the proof that at no instant two members were writable.
 */
export class WritableWatch {
  readonly overlaps: { at: number; members: string[] }[] = [];
  readonly accepted = new Map<string, number>();
  private running = true;
  private readonly done: Promise<void>;

  constructor(
    private readonly cluster: LocalCluster,
    everyMs = 50,
  ) {
    this.done = this.loop(everyMs);
  }

  private async loop(everyMs: number): Promise<void> {
    while (this.running) {
      const started = Date.now();
      const results = await Promise.all(
        this.cluster.members.map((member) => this.tryWrite(member)),
      );
      const writable = this.cluster.members
        .filter((_, index) => results[index])
        .map((member) => member.name);
      for (const name of writable) this.accepted.set(name, (this.accepted.get(name) ?? 0) + 1);
      if (writable.length > 1) this.overlaps.push({ at: started, members: writable });
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, everyMs - (Date.now() - started))),
      );
    }
  }

  private async tryWrite(member: LocalMember): Promise<boolean> {
    try {
      await withClient(
        member,
        (client) => client.query('INSERT INTO natroni_probe (member) VALUES ($1)', [member.name]),
        1_000,
      );
      return true;
    } catch {
      return false;
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}
