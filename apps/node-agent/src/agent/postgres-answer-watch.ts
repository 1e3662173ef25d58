import { Logger } from '@nestjs/common';
import pg from 'pg';
import { unansweredBoundMs } from '../../../../libs/domain/src/index.ts';
import type { MemberConfig } from '../../../../libs/member-config/src/index.ts';
import { agentLogin } from '../postgres/postgres-pool.ts';
import type { PostgresStateMachine } from './postgres-state-machine.ts';

/** How often a primary is asked `SELECT 1`: a fraction of a second against a bound of seconds. */
const PROBE_INTERVAL_MS = 500;

export interface PostgresAnswerWatchOptions {
  readonly config: MemberConfig;
  readonly machine: PostgresStateMachine;
  /** The cluster's ttl now (the bound follows a change of the dynamic configuration). */
  readonly ttlMs: () => number;
  /** Called once when a primary has left every question unanswered for the bound. */
  readonly onUnanswered: (silentForMs: number) => void;
}

/**
 * Asks a running primary `SELECT 1` on a connection of its own, and reports a PostgreSQL that has not
 * answered for unansweredBoundMs(ttl): a frozen postmaster or a hung disk keeps the lease alive (the
 * election and the agent run on) while no write completes, and nothing else would end it. An error
 * sent by the server is an answer; a connection that cannot be made or a query that never returns is
 * not. Anything else than a running primary is not watched.
 */
export class PostgresAnswerWatch {
  private readonly logger = new Logger('PostgresAnswerWatch');
  private timer: ReturnType<typeof setInterval> | undefined;
  private client: pg.Client | undefined;
  private asking = false;
  private lastAnswerAt = performance.now();
  private lastTickAt = performance.now();
  private reported = false;

  constructor(private readonly options: PostgresAnswerWatchOptions) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), PROBE_INTERVAL_MS);
  }

  stop(): void {
    clearInterval(this.timer);
    this.dropClient();
  }

  private tick(): void {
    const { machine } = this.options;
    const now = performance.now();
    // Silence counts only while this agent ran: one that was stopped itself has read no answers.
    if (now - this.lastTickAt >= 2 * PROBE_INTERVAL_MS) this.lastAnswerAt = now;
    this.lastTickAt = now;
    if (machine.state !== 'running' || machine.role !== 'primary') {
      this.lastAnswerAt = now;
      this.reported = false;
      this.dropClient();
      return;
    }
    const silentForMs = now - this.lastAnswerAt;
    if (!this.reported && silentForMs >= unansweredBoundMs(this.options.ttlMs())) {
      this.reported = true;
      this.dropClient();
      this.logger.error({
        msg: `PostgreSQL has not answered SELECT 1 for ${Math.round(silentForMs)} ms`,
      });
      this.options.onUnanswered(silentForMs);
      return;
    }
    if (!this.asking) void this.ask();
  }

  private async ask(): Promise<void> {
    this.asking = true;
    try {
      if (!this.client) {
        const client = new pg.Client({
          ...agentLogin(this.options.config),
          application_name: 'natroni-agent-watch',
          connectionTimeoutMillis: unansweredBoundMs(this.options.ttlMs()),
        });
        client.on('error', () => this.dropClient());
        this.client = client;
        await client.connect();
      }
      await this.client.query('SELECT 1');
      this.lastAnswerAt = performance.now();
    } catch (error) {
      // The server refused or failed the question: it answered, so it is not frozen.
      if (error instanceof pg.DatabaseError) this.lastAnswerAt = performance.now();
      this.dropClient();
    } finally {
      this.asking = false;
    }
  }

  private dropClient(): void {
    const client = this.client;
    this.client = undefined;
    client?.end().catch(() => undefined);
  }
}
