import pg from 'pg';
import type { LocalMember } from '../../libs/harness/src/index.ts';
import { probeClient, RECOVERY_QUERY, STREAMING_QUERY } from './postgres-probe.ts';

const TIMEOUT_MS = 2_000;

/** Ends a connection, or one still connecting, whatever state it is in. */
function endQuietly(connecting: Promise<pg.Client>): Promise<void> {
  return connecting.then(
    (client) => client.end().catch(() => undefined),
    () => undefined,
  );
}

/**
 * One connection per member, kept open from poll to poll. A benchmark that polls every 10 ms through
 * new connections makes the members it times fork a backend and run a SCRAM exchange per poll, some 30
 * of them a second, on the same two cores as the bootstrap it measures. A connection that fails is
 * dropped and made anew at the next poll, so a member that is down or restarting reads as not answering.
 */
export class MemberWatch {
  /** By PostgreSQL port: successive clusters reuse the member names. */
  private readonly clients = new Map<number, Promise<pg.Client>>();

  /** The member's pg_is_in_recovery(), or undefined while it does not answer. */
  async inRecovery(member: LocalMember): Promise<boolean | undefined> {
    const rows = await this.rows<{ recovery: boolean }>(member, RECOVERY_QUERY);
    return rows?.[0]?.recovery;
  }

  /** Names of the members streaming from `primary`, from its pg_stat_replication. */
  async streamingReplicas(primary: LocalMember): Promise<string[]> {
    const rows = await this.rows<{ application_name: string }>(primary, STREAMING_QUERY);
    return (rows ?? []).map((row) => row.application_name);
  }

  async close(): Promise<void> {
    const clients = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(clients.map(endQuietly));
  }

  private async rows<R extends pg.QueryResultRow>(
    member: LocalMember,
    text: string,
  ): Promise<R[] | undefined> {
    const connecting = this.clients.get(member.ports.postgres) ?? this.connect(member);
    this.clients.set(member.ports.postgres, connecting);
    try {
      const client = await connecting;
      return (await client.query<R>(text)).rows;
    } catch {
      this.clients.delete(member.ports.postgres);
      void endQuietly(connecting);
      return undefined;
    }
  }

  private async connect(member: LocalMember): Promise<pg.Client> {
    const client = probeClient(member, TIMEOUT_MS);
    await client.connect();
    return client;
  }
}
