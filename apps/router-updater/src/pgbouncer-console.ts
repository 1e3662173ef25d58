import pg from 'pg';

/**
 * PgBouncer's admin console (`PAUSE`, `RELOAD`, `RESUME`, `SHOW`) over one connection kept open, so
 * that a PAUSE at a switchover request costs no connection set-up; after any failure the next command
 * connects again. One command at a time.
 */
export class PgbouncerConsole {
  private client: pg.Client | undefined;

  constructor(
    private readonly url: string,
    private readonly timeoutMs: number,
  ) {}

  /** Where the console is, for logs and events: `host:port`, never the password. */
  get address(): string {
    const parsed = new URL(this.url);
    return `${parsed.hostname}:${parsed.port || '5432'}`;
  }

  /**
   * Runs one console command within `waitMs` (`timeoutMs` by default; a PAUSE returns only once every
   * server connection is released).
   */
  async run(command: string, waitMs = this.timeoutMs): Promise<void> {
    const client = await this.connected();
    try {
      // pg reads a query's own query_timeout, which its type declarations leave out.
      await client.query({ text: command, query_timeout: waitMs } as pg.QueryConfig);
    } catch (error) {
      // PgBouncer's refusal of a command leaves the connection usable; anything else does not.
      if (!(error instanceof Error && 'severity' in error)) this.close();
      throw error;
    }
  }

  close(): void {
    const client = this.client;
    this.client = undefined;
    void client?.end().catch(() => undefined);
  }

  private async connected(): Promise<pg.Client> {
    if (this.client) return this.client;
    const client = new pg.Client({
      connectionString: this.url,
      connectionTimeoutMillis: this.timeoutMs,
    });
    client.on('error', () => {
      if (this.client === client) this.client = undefined;
    });
    client.on('end', () => {
      if (this.client === client) this.client = undefined;
    });
    await client.connect();
    this.client = client;
    return client;
  }
}
