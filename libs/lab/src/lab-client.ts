import pg from 'pg';
import { LOCAL_CLUSTER_SUPERUSER } from '../../harness/src/index.ts';
import { LAB_PORTS, type LabHost } from './lab-layout.ts';
import type { AcknowledgedWrite, LabEvent, WriterAck } from './lab-records.ts';

/** A write must be acknowledged within this bound, or it counts as not acknowledged. */
const WRITE_TIMEOUT_MS = 2_000;
const WRITER_PAUSE_MS = 20;
const PROBE_EVERY_MS = 100;
/** SQLSTATE read_only_sql_transaction: a replica refusing the write. */
const READ_ONLY = '25006';

const TIMELINE = "('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int";
const LSN_BYTES = "(pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint";
const SERVER_MS = '(extract(epoch from clock_timestamp()) * 1000)::float8';

export type ProbedRole = 'primary' | 'replica' | 'down';

function labClient(host: LabHost): pg.Client {
  const client = new pg.Client({
    host: host.address,
    port: LAB_PORTS.postgres,
    user: LOCAL_CLUSTER_SUPERUSER.username,
    password: LOCAL_CLUSTER_SUPERUSER.password,
    database: 'postgres',
    connectionTimeoutMillis: WRITE_TIMEOUT_MS,
    query_timeout: WRITE_TIMEOUT_MS,
  });
  client.on('error', () => undefined);
  return client;
}

/** One connection kept open to a member, opened again after any failure. */
class MemberConnection {
  private client: pg.Client | undefined;

  constructor(readonly host: LabHost) {}

  async query<Row extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<Row[]> {
    try {
      if (!this.client) {
        const client = labClient(this.host);
        this.client = client;
        await client.connect();
      }
      return (await this.client.query<Row>(sql, params)).rows;
    } catch (error) {
      if ((error as { code?: string }).code !== READ_ONLY) this.close();
      throw error;
    }
  }

  close(): void {
    void this.client?.end().catch(() => undefined);
    this.client = undefined;
  }
}

export const LAB_TABLES = [
  'CREATE TABLE IF NOT EXISTS lab_writes (id bigint PRIMARY KEY, member text NOT NULL)',
  'CREATE TABLE IF NOT EXISTS lab_probes (id bigserial PRIMARY KEY, member text NOT NULL)',
];

/**
 * The lab's client host: a writer that inserts numbered rows one after another into whichever member
 * accepts them and keeps every acknowledged id, and a probe per member that tries a write every 100 ms.
 * Every acknowledgement is kept with the member, its timeline and when the member wrote it.
 */
export class LabClient {
  readonly writerAcks: WriterAck[] = [];
  readonly probeAcks: AcknowledgedWrite[] = [];
  readonly events: LabEvent[] = [];
  readonly roles = new Map<string, ProbedRole>();
  private running = true;
  private readonly loops: Promise<void>[];
  private nextId = 1;

  constructor(private readonly hosts: readonly LabHost[]) {
    this.loops = [this.writeLoop(), ...hosts.map((host) => this.probeLoop(host))];
  }

  note(text: string): void {
    this.events.push({ at: Date.now(), text });
  }

  /** The member the probes last saw acknowledging a write, if exactly one. */
  get primary(): string | undefined {
    const found = [...this.roles].filter(([, role]) => role === 'primary').map(([name]) => name);
    return found.length === 1 ? found[0] : undefined;
  }

  private async writeLoop(): Promise<void> {
    const connections = this.hosts.map((host) => new MemberConnection(host));
    let target = 0;
    let failing = false;
    while (this.running) {
      const primary = this.primary;
      if (failing && primary) target = this.hosts.findIndex((host) => host.name === primary);
      const connection = connections[target];
      // Every attempt has an id of its own: an attempt that timed out may still commit later.
      const id = this.nextId;
      this.nextId += 1;
      const sentAt = Date.now();
      try {
        const [row] = await connection.query<{ at: number; timeline: number; lsn: string }>(
          `INSERT INTO lab_writes VALUES ($1, $2) RETURNING ${SERVER_MS} AS at, ${TIMELINE} AS timeline, ${LSN_BYTES} AS lsn`,
          [id, connection.host.name],
        );
        const ack = {
          id,
          member: connection.host.name,
          sentAt,
          serverAt: row.at,
          ackAt: Date.now(),
          timeline: row.timeline,
          lsn: Number(row.lsn),
        };
        this.writerAcks.push(ack);
        if (failing) this.note(`writer: writes acknowledged again by ${ack.member}`);
        failing = false;
      } catch (error) {
        if (!failing)
          this.note(`writer: write to ${connection.host.name} failed: ${(error as Error).message}`);
        failing = true;
        target = (target + 1) % connections.length;
      }
      await new Promise((resolve) => setTimeout(resolve, WRITER_PAUSE_MS));
    }
    for (const connection of connections) connection.close();
  }

  private async probeLoop(host: LabHost): Promise<void> {
    const connection = new MemberConnection(host);
    while (this.running) {
      const sentAt = Date.now();
      let role: ProbedRole;
      try {
        const [row] = await connection.query<{ at: number; timeline: number }>(
          `INSERT INTO lab_probes (member) VALUES ($1) RETURNING ${SERVER_MS} AS at, ${TIMELINE} AS timeline`,
          [host.name],
        );
        this.probeAcks.push({
          member: host.name,
          sentAt,
          serverAt: row.at,
          ackAt: Date.now(),
          timeline: row.timeline,
        });
        role = 'primary';
      } catch (error) {
        role = (error as { code?: string }).code === READ_ONLY ? 'replica' : 'down';
      }
      if (this.roles.get(host.name) !== role) {
        this.roles.set(host.name, role);
        this.note(
          `probe: ${host.name} is ${role === 'primary' ? 'writable' : role === 'replica' ? 'a read-only replica' : 'not answering'}`,
        );
      }
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, PROBE_EVERY_MS - (Date.now() - sentAt))),
      );
    }
    connection.close();
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /** The acknowledged ids, oldest first. */
  /** Waits, up to `boundMs`, for the writer to have a write acknowledged after `since` (ms since epoch). */
  async acknowledgedAfter(since: number, boundMs: number): Promise<boolean> {
    const deadline = Date.now() + boundMs;
    while (Date.now() < deadline) {
      if ((this.writerAcks.at(-1)?.ackAt ?? 0) > since) return true;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return false;
  }

  acknowledgedIds(): number[] {
    return this.writerAcks.map((ack) => ack.id);
  }
}

/** One statement on a short-lived connection to the member. */
export async function queryMember<Row extends pg.QueryResultRow>(
  host: LabHost,
  sql: string,
  params: unknown[] = [],
): Promise<Row[]> {
  const client = labClient(host);
  try {
    await client.connect();
    return (await client.query<Row>(sql, params)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}
