import type pg from 'pg';
import type { LocalCluster } from '../../libs/harness/src/index.ts';
import { probeClient, withClient } from './postgres-probe.ts';

/**
 * Inserts rows one after another into `acked_writes` on whichever member accepts them, and remembers
 * every id PostgreSQL acknowledged: afterwards each of them must be on the final primary. It keeps its
 * connection while writes succeed, as an application's pool does, so that the gaps it sees are the
 * cluster's, not the cost of a new backend per row on a loaded machine.
 */
export class AcknowledgedWriter {
  readonly acknowledged: number[] = [];
  /** performance.now() of each acknowledgment, in order. */
  private readonly acknowledgedAt: number[] = [];
  private running = true;
  private readonly done: Promise<void>;
  private next = 1;

  constructor(private readonly cluster: LocalCluster) {
    this.done = this.loop();
  }

  static async prepare(cluster: LocalCluster, primary: string): Promise<void> {
    await withClient(cluster.member(primary), (client) =>
      client.query('CREATE TABLE IF NOT EXISTS acked_writes (id bigint PRIMARY KEY, member text)'),
    );
  }

  private async loop(): Promise<void> {
    let target = 0;
    let client: pg.Client | undefined;
    while (this.running) {
      const member = this.cluster.members[target % this.cluster.members.length];
      const id = this.next;
      try {
        if (!client) {
          client = probeClient(member, 1_000);
          await client.connect();
        }
        await client.query('INSERT INTO acked_writes VALUES ($1, $2)', [id, member.name]);
        this.acknowledged.push(id);
        this.acknowledgedAt.push(performance.now());
        this.next += 1;
      } catch {
        // Not awaited: a server that stopped answering may never close the connection.
        client?.end().catch(() => undefined);
        client = undefined;
        target += 1;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
    client?.end().catch(() => undefined);
  }

  /**
   * The longest time without an acknowledged write between `fromMs` and `toMs` (performance.now()),
   * counting the edges of the window as writes.
   */
  longestGapMs(fromMs: number, toMs: number): number {
    let previous = fromMs;
    let longest = 0;
    for (const at of this.acknowledgedAt) {
      if (at <= fromMs) continue;
      if (at > toMs) break;
      longest = Math.max(longest, at - previous);
      previous = at;
    }
    return Math.max(longest, toMs - previous);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }

  /** The acknowledged ids missing from `member`'s table. */
  async missingOn(member: string): Promise<number[]> {
    const present = await withClient(this.cluster.member(member), async (client) => {
      const result = await client.query<{ id: string }>('SELECT id FROM acked_writes');
      return new Set(result.rows.map((row) => Number(row.id)));
    });
    return this.acknowledged.filter((id) => !present.has(id));
  }
}
