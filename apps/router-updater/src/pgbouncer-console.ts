import pg from 'pg';

/** PgBouncer's admin console (`SHOW`, `PAUSE`, `RELOAD`, `RESUME`), one connection per command. */
export class PgbouncerConsole {
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
   * Runs one console command. `timeoutMs` bounds it unless `waitMs` is given (a PAUSE returns only once
   * every server connection is released).
   */
  async run(command: string, waitMs = this.timeoutMs): Promise<void> {
    const client = new pg.Client({
      connectionString: this.url,
      connectionTimeoutMillis: this.timeoutMs,
      query_timeout: waitMs,
    });
    client.on('error', () => undefined);
    await client.connect();
    try {
      await client.query(command);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}
