import pg from 'pg';
import { SUPERUSER } from './postgres-probe.ts';

/** Runs `work` on a fresh connection through HAProxy's listener on `port`. */
export async function throughHaproxy<T>(
  port: number,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port,
    ...SUPERUSER,
    connectionTimeoutMillis: 1_000,
    query_timeout: 2_000,
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface AcknowledgedWrite {
  seq: number;
  id: string;
  port: number;
}

/** Inserts through HAProxy's primary port every 20 ms, each on a fresh connection, as a client reconnecting would. */
export class HaproxyWriter {
  readonly acknowledged: AcknowledgedWrite[] = [];
  failures = 0;
  /** When each failed write failed, on the monotonic clock. */
  readonly failedAt: number[] = [];
  private running = true;
  private readonly done: Promise<void>;

  constructor(private readonly port: number) {
    this.done = this.loop();
  }

  private async loop(): Promise<void> {
    for (let seq = 1; this.running; seq += 1) {
      try {
        const row = await throughHaproxy(this.port, async (client) => {
          const result = await client.query<{ id: string; port: number }>(
            'INSERT INTO haproxy_writes (seq) VALUES ($1) RETURNING id, inet_server_port() AS port',
            [seq],
          );
          return result.rows[0];
        });
        if (row) this.acknowledged.push({ seq, id: String(row.id), port: row.port });
      } catch {
        this.failures += 1;
        this.failedAt.push(performance.now());
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  acknowledgedBy(port: number): AcknowledgedWrite[] {
    return this.acknowledged.filter((write) => write.port === port);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}
