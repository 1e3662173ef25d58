import { writeFile, rename } from 'node:fs/promises';
import { pgbouncerDatabases, type RouterView } from '../../../libs/domain/src/index.ts';
import type { RouterReports } from './haproxy-router.ts';
import { PgbouncerConsole } from './pgbouncer-console.ts';
import type { PgbouncerRouterDto } from './router-config.dto.ts';
import { RouterLink } from './router-link.ts';

/** How long a PAUSE may wait for the transactions in flight (PgBouncer's own bound is query_wait_timeout). */
const PAUSE_WAIT_MS = 30_000;

/** Where PgBouncer's database entries should point: the writable primary, or nowhere while there is none. */
interface PgbouncerTarget {
  readonly primary?: { readonly host: string; readonly port: number };
}

/** PgBouncer's answers to a RESUME of a database that is not paused, and to a PAUSE of one that is. */
const NOT_PAUSED = /not paused/i;
const ALREADY_PAUSED = /already/i;

/**
 * One PgBouncer driven through its admin console. While no member is writable (a switchover between
 * its start and the promotion, a failover) its databases are paused, so that queries wait instead of
 * failing; once one is, the `[databases]` file is rewritten to it, reloaded, and the databases resumed.
 * Client connections stay open throughout (with `pool_mode = transaction`).
 */
export class PgbouncerRouter {
  private readonly link: RouterLink<PgbouncerTarget>;
  private readonly console: PgbouncerConsole;
  private written: string | undefined;
  private paused: boolean | undefined;

  constructor(
    private readonly config: PgbouncerRouterDto,
    retryIntervalMs: number,
    timeoutMs: number,
    reports: RouterReports,
  ) {
    this.console = new PgbouncerConsole(config.admin, timeoutMs);
    let change = '';
    this.link = new RouterLink({
      router: config.name,
      routerKind: 'pgbouncer',
      address: this.console.address,
      retryIntervalMs,
      apply: async (target) => {
        change = await this.apply(target);
      },
      onFailure: reports.onFailure,
      onApplied: (_target, attempts) => {
        if (change !== '') reports.onApplied(config.name, change, attempts);
      },
    });
  }

  update(view: RouterView): void {
    const writable = view.writable !== view.leaving ? view.writable : undefined;
    const member = writable === undefined ? undefined : view.members.get(writable);
    const primary =
      member?.host !== undefined && member.port !== undefined
        ? { host: member.host, port: member.port }
        : undefined;
    if (writable !== undefined && primary === undefined) return;
    this.link.set({ primary });
  }

  async stop(): Promise<void> {
    await this.link.stop();
    this.console.close();
  }

  private async apply(target: PgbouncerTarget): Promise<string> {
    const names = Object.keys(this.config.databases);
    if (target.primary === undefined) {
      if (this.paused === true) return '';
      // Unknown until it succeeds: a PAUSE that timed out may still take effect.
      this.paused = undefined;
      for (const name of names) {
        await this.console.run(`PAUSE ${name}`, PAUSE_WAIT_MS).catch((error: unknown) => {
          if (!(error instanceof Error && ALREADY_PAUSED.test(error.message))) throw error;
        });
      }
      this.paused = true;
      return `PAUSE ${names.join(', ')}`;
    }
    const text = pgbouncerDatabases(this.config.databases, target.primary);
    const steps: string[] = [];
    if (text !== this.written) {
      const file = this.config.databases_file;
      await writeFile(`${file}.tmp`, text, { mode: 0o644 });
      await rename(`${file}.tmp`, file);
      this.written = undefined;
      await this.console.run('RELOAD');
      this.written = text;
      steps.push(`RELOAD (${target.primary.host}:${target.primary.port})`);
    }
    if (this.paused !== false) {
      for (const name of names) {
        await this.console.run(`RESUME ${name}`).catch((error: unknown) => {
          if (!(error instanceof Error && NOT_PAUSED.test(error.message))) throw error;
        });
      }
      this.paused = false;
      steps.push(`RESUME ${names.join(', ')}`);
    }
    return steps.join('; ');
  }
}
