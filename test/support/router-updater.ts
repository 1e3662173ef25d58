import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { stringify } from 'yaml';
import {
  ensureUnprivilegedUser,
  freePort,
  registerChild,
  ServiceProcess,
  waitForExit,
  type LocalCluster,
} from '../../libs/harness/src/index.ts';
import { haproxyConfigFor, HaproxyProcess } from './haproxy-process.ts';
import { SUPERUSER } from './postgres-probe.ts';

/** The router updater, built, against the cluster's NATS with the routers of `config` (its YAML file). */
export async function startRouterUpdater(
  cluster: LocalCluster,
  config: Record<string, unknown>,
  name = 'router-updater',
): Promise<ServiceProcess> {
  const file = join(cluster.options.baseDir, `${name}.yml`);
  await writeFile(file, stringify(config));
  const updater = ServiceProcess.start({
    app: 'router-updater',
    repoDir: cluster.options.repoDir,
    httpPort: await freePort(),
    env: {
      NATRONI_SCOPE: cluster.options.scope,
      NATRONI_NATS_SERVERS: `nats://127.0.0.1:${cluster.options.ports.nats}`,
      NATRONI_ROUTERS_CONFIG: file,
    },
    logFile: join(cluster.options.baseDir, 'logs', `${name}.log`),
  });
  await updater.healthWith(200, 20_000);
  return updater;
}

/**
 * HAProxy with the recipe's two listeners and its stats socket, at Patroni's documented check timings
 * (`inter 3s fall 3 rise 2`) unless `checks` names others, so that only the updater can move it within
 * a second.
 */
export async function startSlowCheckHaproxy(
  cluster: LocalCluster,
  name: string,
  checks = 'inter 3s fall 3 rise 2',
): Promise<{ haproxy: HaproxyProcess; statsSocket: string; primaryPort: number }> {
  const statsSocket = join(cluster.options.baseDir, `${name}.sock`);
  const primaryPort = await freePort();
  const recipe = await haproxyConfigFor(
    cluster,
    { primary: primaryPort, replicas: await freePort() },
    { statsSocket: `${statsSocket} level admin` },
  );
  const config = recipe.replace(/inter 200ms fall 2 rise 1/g, checks);
  if (config === recipe) throw new Error('the HAProxy recipe no longer has its check timings');
  const dir = join(cluster.options.baseDir, name);
  await mkdir(dir, { recursive: true });
  return { haproxy: await HaproxyProcess.start(dir, config), statsSocket, primaryPort };
}

/**
 * PgBouncer from Debian, run as the unprivileged user, in transaction pooling, its databases included
 * from a file; users `admin` (the admin console) and `app`, without passwords (`auth_type = trust`).
 */
export class PgbouncerProcess {
  private output = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly databasesFile: string,
  ) {
    const keep = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString()).slice(-8000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  /** Starts it with its files in `dir`, its output appended to `logFile` too when given. */
  static async start(
    dir: string,
    primary: { port: number },
    logFile?: string,
  ): Promise<PgbouncerProcess> {
    const user = await ensureUnprivilegedUser();
    const port = await freePort();
    const databasesFile = join(dir, 'pgbouncer-databases.ini');
    await writeFile(
      databasesFile,
      `[databases]\nappdb = host=127.0.0.1 port=${primary.port} ${connectionOptions()}\n`,
    );
    const usersFile = join(dir, 'pgbouncer-users.txt');
    await writeFile(usersFile, '"admin" ""\n"app" ""\n');
    const configFile = join(dir, 'pgbouncer.ini');
    await writeFile(
      configFile,
      [
        `%include ${databasesFile}`,
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${port}`,
        `unix_socket_dir =`,
        'auth_type = trust',
        `auth_file = ${usersFile}`,
        'admin_users = admin',
        'pool_mode = transaction',
        'ignore_startup_parameters = extra_float_digits,options',
        'server_login_retry = 1',
        '',
      ].join('\n'),
    );
    await chmod(dir, 0o755);
    const child = spawn('/usr/sbin/pgbouncer', [configFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
      uid: user.uid,
      gid: user.gid,
    });
    registerChild(child);
    if (logFile) {
      const log = createWriteStream(logFile, { flags: 'a' });
      child.stdout?.pipe(log);
      child.stderr?.pipe(log);
    }
    return new PgbouncerProcess(child, port, databasesFile);
  }

  get adminUrl(): string {
    return `postgresql://admin@127.0.0.1:${this.port}/pgbouncer`;
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  get recentOutput(): string {
    return this.output;
  }

  /** Rows of an admin console `SHOW` command. */
  async show(what: string): Promise<Record<string, unknown>[]> {
    const client = new pg.Client({
      connectionString: this.adminUrl,
      connectionTimeoutMillis: 2_000,
    });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return (await client.query(`SHOW ${what}`)).rows as Record<string, unknown>[];
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async stop(): Promise<void> {
    if (!this.exited) this.child.kill('SIGTERM');
    await waitForExit(this.child, 5_000);
  }
}

/** The database entry's options: PgBouncer logs in to PostgreSQL as the cluster's superuser. */
export function connectionOptions(): string {
  return `dbname=${SUPERUSER.database} user=${SUPERUSER.user} password=${SUPERUSER.password}`;
}

/**
 * Each server's administrative state in `backend` (`srv_admin_state` of `show servers state`: 0 ready,
 * 0x01 maintenance, 0x08 drain, ...), by server name.
 */
export function adminStates(statsSocket: string, backend: string): Promise<Map<string, number>> {
  return new Promise((resolveStates, reject) => {
    let text = '';
    const socket = createConnection(statsSocket);
    socket.setTimeout(2_000, () =>
      socket.destroy(new Error('HAProxy stats socket: no answer in 2 s')),
    );
    socket.on('connect', () => socket.end(`show servers state ${backend}\n`));
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.on('error', reject);
    socket.on('close', () => {
      const lines = text.split('\n').filter((line) => line.trim() !== '');
      const header =
        lines
          .find((line) => line.startsWith('# '))
          ?.slice(2)
          .split(' ') ?? [];
      const name = header.indexOf('srv_name');
      const admin = header.indexOf('srv_admin_state');
      if (name < 0 || admin < 0) {
        reject(new Error(`HAProxy stats socket: unexpected answer ${JSON.stringify(text)}`));
        return;
      }
      const states = new Map<string, number>();
      for (const line of lines.filter((each) => !each.startsWith('#') && each.includes(' '))) {
        const fields = line.split(' ');
        states.set(fields[name] ?? '', Number(fields[admin]));
      }
      resolveStates(states);
    });
  });
}
