import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { appendFile, chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type pg from 'pg';
import { registerChild, waitForExit } from './child-registry.ts';
import { freePort } from './free-port.ts';
import { killProcessesUnder } from './leftover-processes.ts';
import { postgresClient } from './postgres-client.ts';
import { ensureUnprivilegedUser, type OsUser } from './unprivileged-user.ts';
import { waitUntil } from './wait-until.ts';

const DEBIAN_BIN_DIR = '/usr/lib/postgresql/15/bin';

export function postgresBinDir(): string {
  const fromEnv = process.env.NATRONI_PG_BIN_DIR;
  if (fromEnv) return fromEnv;
  if (existsSync(join(DEBIAN_BIN_DIR, 'postgres'))) return DEBIAN_BIN_DIR;
  throw new Error(
    `PostgreSQL 15 not found in ${DEBIAN_BIN_DIR}: run scripts/prepare-machine.sh or set NATRONI_PG_BIN_DIR`,
  );
}

export interface InitdbOptions {
  /** The database superuser; `postgres` by default. */
  superuser?: string;
  /** Authentication method for local and host connections; `trust` by default (tests only). */
  auth?: string;
  /** More initdb arguments, placed after the defaults so that they can override them. */
  extraArgs?: readonly string[];
}

export interface PostgresExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export type ShutdownMode = 'smart' | 'fast' | 'immediate';

/** The signals the PostgreSQL documentation gives for each shutdown mode ("Shutting Down the Server"). */
const SHUTDOWN_SIGNALS: Record<ShutdownMode, NodeJS.Signals> = {
  smart: 'SIGTERM',
  fast: 'SIGINT',
  immediate: 'SIGQUIT',
};

export type ConfigValue = string | number | boolean;

function formatConfigValue(value: ConfigValue): string {
  return typeof value === 'string' ? `'${value.replaceAll("'", "''")}'` : String(value);
}

const run = promisify(execFile);

/**
 * A real PostgreSQL 15 cluster in a temporary directory, run as an unprivileged OS user on a free
 * loopback port. The postmaster is our direct child, so a crash shows up as its exit.
 */
export class PostgresInstance {
  readonly host = '127.0.0.1';
  private child: ChildProcess | undefined;
  private exit: Promise<PostgresExit> | undefined;
  private assignedPort: number | undefined;
  private logTail = '';

  private constructor(
    /** The temporary directory holding the data and socket directories. */
    readonly baseDir: string,
    readonly superuser: string,
    private readonly osUser: OsUser,
  ) {}

  get dataDir(): string {
    return join(this.baseDir, 'data');
  }

  get socketDir(): string {
    return join(this.baseDir, 'socket');
  }

  get port(): number {
    if (this.assignedPort === undefined) throw new Error('PostgreSQL has not been started yet');
    return this.assignedPort;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return (
      this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
    );
  }

  /** Resolves when the postmaster started last exits. */
  get exited(): Promise<PostgresExit> {
    if (!this.exit) throw new Error('PostgreSQL has not been started yet');
    return this.exit;
  }

  static async initdb(options: InitdbOptions = {}): Promise<PostgresInstance> {
    const osUser = await ensureUnprivilegedUser();
    const baseDir = await mkdtemp(join(tmpdir(), 'natroni-test-pg-'));
    const instance = new PostgresInstance(baseDir, options.superuser ?? 'postgres', osUser);
    try {
      await mkdir(instance.socketDir);
      await chown(baseDir, osUser.uid, osUser.gid);
      await chown(instance.socketDir, osUser.uid, osUser.gid);
      const args = [
        `--pgdata=${instance.dataDir}`,
        `--username=${instance.superuser}`,
        `--auth=${options.auth ?? 'trust'}`,
        '--encoding=UTF8',
        '--locale=C',
        // A test cluster does not need to survive a machine crash; skipping fsync saves seconds.
        '--no-sync',
        ...(options.extraArgs ?? []),
      ];
      await run(join(postgresBinDir(), 'initdb'), args, {
        uid: osUser.uid,
        gid: osUser.gid,
        cwd: baseDir,
        timeout: 60_000,
      });
    } catch (error) {
      await rm(baseDir, { recursive: true, force: true });
      const reason = (error as Error | undefined)?.message ?? String(error);
      throw new Error(`initdb as OS user ${osUser.name} failed: ${reason}`, { cause: error });
    }
    return instance;
  }

  /** Starts the postmaster (on the same port as before, after a stop) and waits until it answers SQL. */
  async start(): Promise<void> {
    if (this.running) throw new Error(`PostgreSQL is already running in ${this.dataDir}`);
    // Backends of a killed postmaster would still hold its shared memory and block a new start.
    await killProcessesUnder(this.dataDir, ['postgres']);
    this.assignedPort ??= await freePort();
    const args = [
      ...['-D', this.dataDir, '-p', String(this.assignedPort), '-k', this.socketDir],
      ...['-c', `listen_addresses=${this.host}`],
    ];
    const child = spawn(join(postgresBinDir(), 'postgres'), args, {
      uid: this.osUser.uid,
      gid: this.osUser.gid,
      cwd: this.baseDir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    registerChild(child);
    this.logTail = '';
    const keep = (text: string): void => {
      this.logTail = (this.logTail + text).slice(-4000);
    };
    child.stdout?.on('data', (chunk: Buffer) => keep(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => keep(chunk.toString()));
    this.exit = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', (error) => {
        keep(`${error.message}\n`);
        if (child.pid === undefined) resolve({ code: null, signal: null });
      });
    });
    this.child = child;
    await this.waitUntilReady(child);
  }

  private async waitUntilReady(child: ChildProcess): Promise<void> {
    let outcome: 'ready' | 'exited';
    try {
      outcome = await waitUntil(
        async () => {
          if (!this.running) return 'exited';
          await this.query('SELECT 1');
          return 'ready';
        },
        {
          timeoutMs: 30_000,
          intervalMs: 50,
          what: `PostgreSQL in ${this.dataDir} to accept SQL connections on port ${this.port}`,
        },
      );
    } catch (error) {
      await this.stop('immediate');
      throw new Error(`${(error as Error).message}\n${this.describeLog()}`, { cause: error });
    }
    if (outcome === 'exited') {
      const { code, signal } = await this.exited;
      // Let the last lines of the log arrive.
      await Promise.race([
        once(child, 'close'),
        new Promise((resolve) => setTimeout(resolve, 1_000)),
      ]);
      throw new Error(
        `PostgreSQL exited during start-up (code ${code}, signal ${signal})\n${this.describeLog()}`,
      );
    }
  }

  private describeLog(): string {
    return `--- end of the PostgreSQL log ---\n${this.logTail.trimEnd()}`;
  }

  connectionString(database = 'postgres'): string {
    const user = encodeURIComponent(this.superuser);
    return `postgresql://${user}@${this.host}:${this.port}/${encodeURIComponent(database)}`;
  }

  /** Runs one statement on a short-lived connection as the superuser and returns its rows. */
  async query<Row extends pg.QueryResultRow = Record<string, unknown>>(
    sql: string,
    params: readonly unknown[] = [],
  ): Promise<Row[]> {
    const client = postgresClient(
      { host: this.host, port: this.port, username: this.superuser },
      5_000,
    );
    try {
      await client.connect();
      const result = await client.query<Row>(sql, [...params]);
      return result.rows;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** Appends settings to postgresql.auto.conf (or postgresql.conf); they apply at the next start. */
  async writeConfig(
    params: Record<string, ConfigValue>,
    file: 'postgresql.auto.conf' | 'postgresql.conf' = 'postgresql.auto.conf',
  ): Promise<void> {
    const lines = Object.entries(params).map(
      ([name, value]) => `${name} = ${formatConfigValue(value)}\n`,
    );
    await appendFile(join(this.dataDir, file), lines.join(''));
  }

  /** Shuts the server down in the given mode and waits for the postmaster to exit (SIGKILL after 30 s). */
  async stop(mode: ShutdownMode = 'fast'): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill(SHUTDOWN_SIGNALS[mode]);
    await waitForExit(child, 30_000);
  }

  /** SIGKILLs the postmaster, as a crash would; `exited` tells when it is gone. */
  kill(): void {
    if (this.running) this.child?.kill('SIGKILL');
  }

  /** Stops the server (immediate), kills whatever it left behind and removes the temporary directory. */
  async dispose(): Promise<void> {
    await this.stop('immediate');
    await killProcessesUnder(this.dataDir, ['postgres']);
    await rm(this.baseDir, { recursive: true, force: true });
  }
}
