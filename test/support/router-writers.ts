import type pg from 'pg';
import { throughHaproxy } from './haproxy-writer.ts';

/** One acknowledged insert: its row, the PostgreSQL port that acknowledged it, and when (monotonic ms). */
export interface RoutedWrite {
  readonly seq: number;
  readonly id: string;
  readonly port: number;
  readonly at: number;
}

/** The longest time without one of `writes` acknowledged, from `from` to `to` (monotonic ms). */
export function longestGap(writes: readonly RoutedWrite[], from: number, to: number): number {
  const times = writes.map((write) => write.at).sort((a, b) => a - b);
  const within = [
    ...times.filter((at) => at < from).slice(-1),
    ...times.filter((at) => at >= from && at <= to),
  ];
  let gap = 0;
  for (let index = 1; index < within.length; index += 1)
    gap = Math.max(gap, within[index] - within[index - 1]);
  return gap;
}

const INSERT = (table: string) =>
  `INSERT INTO ${table} (seq) VALUES ($1) RETURNING id, inet_server_port() AS port`;

abstract class LoopingWriter {
  readonly acknowledged: RoutedWrite[] = [];
  readonly errors: string[] = [];
  protected running = true;
  private done: Promise<void> = Promise.resolve();

  constructor(
    protected readonly table: string,
    private readonly pauseMs: number,
  ) {}

  protected begin(): void {
    this.done = this.loop();
  }

  protected abstract insert(seq: number): Promise<{ id: string; port: number } | undefined>;

  private async loop(): Promise<void> {
    for (let seq = 1; this.running; seq += 1) {
      try {
        const row = await this.insert(seq);
        if (row)
          this.acknowledged.push({
            seq,
            id: String(row.id),
            port: row.port,
            at: performance.now(),
          });
      } catch (error) {
        this.errors.push((error as Error).message);
      }
      await new Promise((resolve) => setTimeout(resolve, this.pauseMs));
    }
  }

  /** The acknowledged writes after index `from` that `port` acknowledged. */
  acknowledgedBy(port: number, from = 0): RoutedWrite[] {
    return this.acknowledged.slice(from).filter((write) => write.port === port);
  }

  /** The longest time without an acknowledged write from `from` to `to` (monotonic ms). */
  longestGap(from: number, to: number): number {
    return longestGap(this.acknowledged, from, to);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

/**
 * Inserts into `table` through an HAProxy port, each insert on a fresh connection as a reconnecting
 * client does. `readOnly` keeps the errors of sessions that HAProxy handed to a server in recovery.
 */
export class SessionWriter extends LoopingWriter {
  constructor(
    private readonly port: number,
    table: string,
    pauseMs = 10,
  ) {
    super(table, pauseMs);
    this.begin();
  }

  get readOnly(): string[] {
    return this.errors.filter((message) => /read-only|recovery/i.test(message));
  }

  protected insert(seq: number): Promise<{ id: string; port: number } | undefined> {
    return throughHaproxy(this.port, async (client) => {
      const result = await client.query<{ id: string; port: number }>(INSERT(this.table), [seq]);
      return result.rows[0];
    });
  }
}

/** Inserts into `table` over one client connection it never closes (through PgBouncer, say). */
export class ConnectionWriter extends LoopingWriter {
  closed = false;

  constructor(
    private readonly client: pg.Client,
    table: string,
    pauseMs = 10,
  ) {
    super(table, pauseMs);
    client.on('error', (error: Error) => this.errors.push(`connection: ${error.message}`));
    client.on('end', () => {
      this.closed = true;
      this.running = false;
    });
    this.begin();
  }

  protected async insert(seq: number): Promise<{ id: string; port: number } | undefined> {
    const result = await this.client.query<{ id: string; port: number }>(INSERT(this.table), [seq]);
    return result.rows[0];
  }
}
