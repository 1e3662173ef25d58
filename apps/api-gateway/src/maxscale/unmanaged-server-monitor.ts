import { basename, dirname } from 'node:path';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import pg from 'pg';
import {
  endpointOf,
  monitorCredentials,
  NO_CONNECTIONS,
  type ServerConnections,
} from '../../../../libs/domain/src/index.ts';
import type { ServerRecord } from '../../../../libs/proto/src/index.ts';
import { LiveCluster } from '../patroni/live-cluster.ts';
import { V1_SETTINGS, type V1Settings } from './v1-settings.ts';

/** What the last poll of a server natroni does not manage found. */
export interface ServerObservation {
  readonly reachable: boolean;
  readonly authError: boolean;
  readonly inRecovery: boolean;
  readonly versionNum?: number;
  readonly startTime?: string;
  readonly connections: ServerConnections;
}

const UNREACHABLE: ServerObservation = {
  reachable: false,
  authError: false,
  inRecovery: false,
  connections: NO_CONNECTIONS,
};

const CONNECT_TIMEOUT_MS = 2_000;
const AUTH_FAILURES = new Set(['28P01', '28000']);
const SOCKET_FILE = /^\.s\.PGSQL\.(\d+)$/;

const STATUS_QUERY = `SELECT pg_is_in_recovery() AS in_recovery,
  current_setting('server_version_num')::int AS version_num,
  pg_postmaster_start_time()::text AS started,
  (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int AS connections,
  (SELECT count(*) FROM pg_stat_activity
    WHERE backend_type = 'client backend' AND state = 'active')::int AS active`;
const SESSIONS_QUERY = 'SELECT coalesce(sum(sessions), 0)::float8 AS total FROM pg_stat_database';
const TERMINATE_QUERY = `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS terminated
  FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`;

interface StatusRow {
  in_recovery: boolean;
  version_num: number;
  started: string;
  connections: number;
  active: number;
}

/**
 * Polls every server natroni does not manage (a `servers.<name>` record that is not a member) every
 * few seconds with a short-lived `pg` connection: reachable or Down, primary or standby, version and
 * connection statistics. Each gateway polls on its own; the observations stay in memory.
 *
 * So does each worker process of a gateway (NATRONI_GATEWAY_WORKERS), rather than worker 1 alone:
 * every worker answers `/v1/servers` from its own memory and needs the observations. The duplication is
 * harmless: the polls only read, and N workers make the short-lived connections N gateways would. Two
 * workers' statistics may differ by one poll, as two gateways' do.
 */
@Injectable()
export class UnmanagedServerMonitor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('UnmanagedServerMonitor');
  private readonly observations = new Map<string, ServerObservation>();
  private readonly maxConnections = new Map<string, number>();
  private readonly polling = new Map<string, Promise<void>>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private unsubscribe: (() => void) | undefined;
  private changes = 0;

  constructor(
    private readonly cluster: LiveCluster,
    @Inject(V1_SETTINGS) private readonly settings: V1Settings,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.pollAll(), this.settings.monitorIntervalMs);
    this.timer.unref();
    // A new server is polled at once rather than at the next tick.
    this.unsubscribe = this.cluster.onChange(() => this.pollAll(true));
    this.pollAll();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.unsubscribe?.();
    await Promise.allSettled([...this.polling.values()]);
  }

  /** Increases whenever an observation changes: part of the gateway's document cache key. */
  get version(): number {
    return this.changes;
  }

  observation(token: string): ServerObservation {
    return this.observations.get(token) ?? UNREACHABLE;
  }

  /** Closes the client connections of an unmanaged server (forced maintenance). */
  async terminateConnections(record: ServerRecord): Promise<number> {
    const client = new pg.Client(this.connectionConfig(record));
    client.on('error', () => undefined);
    try {
      await client.connect();
      const { rows } = await client.query<{ terminated: number }>(TERMINATE_QUERY);
      return rows[0]?.terminated ?? 0;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private pollAll(onlyNew = false): void {
    const records = this.cluster.view.servers;
    for (const token of [...this.observations.keys()]) {
      if (!records.has(token) || records.get(token)?.value.member) {
        this.observations.delete(token);
        this.maxConnections.delete(token);
        this.changes += 1;
      }
    }
    for (const [token, entry] of records) {
      if (entry.value.member || this.polling.has(token)) continue;
      if (onlyNew && this.observations.has(token)) continue;
      const poll = this.poll(token, entry.value)
        .then((observation) => this.record(token, observation))
        .catch((error: unknown) => this.logger.warn({ msg: 'poll failed', token, err: error }))
        .finally(() => this.polling.delete(token));
      this.polling.set(token, poll);
    }
  }

  private record(token: string, observation: ServerObservation): void {
    if (!this.cluster.view.servers.has(token)) return;
    const previous = this.observations.get(token);
    if (JSON.stringify(previous) !== JSON.stringify(observation)) this.changes += 1;
    this.observations.set(token, observation);
  }

  private async poll(token: string, record: ServerRecord): Promise<ServerObservation> {
    const client = new pg.Client(this.connectionConfig(record));
    client.on('error', () => undefined);
    try {
      await client.connect();
      const { rows } = await client.query<StatusRow>(STATUS_QUERY);
      const row = rows[0];
      if (!row) return UNREACHABLE;
      const total =
        row.version_num >= 140000
          ? ((await client.query<{ total: number }>(SESSIONS_QUERY)).rows[0]?.total ?? 0)
          : row.connections;
      const max = Math.max(this.maxConnections.get(token) ?? 0, row.connections);
      this.maxConnections.set(token, max);
      return {
        reachable: true,
        authError: false,
        inRecovery: row.in_recovery,
        versionNum: row.version_num,
        startTime: row.started,
        connections: {
          connections: row.connections,
          totalConnections: total,
          maxConnections: max,
          activeOperations: row.active,
        },
      };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      return { ...UNREACHABLE, authError: typeof code === 'string' && AUTH_FAILURES.has(code) };
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private connectionConfig(record: ServerRecord): pg.ClientConfig {
    const parameters = record.parameters ?? {};
    const endpoint = endpointOf(parameters);
    const credentials = monitorCredentials(parameters);
    let host = endpoint.address ?? '127.0.0.1';
    let port = endpoint.port ?? 5432;
    if (endpoint.socket !== undefined) {
      const socketFile = SOCKET_FILE.exec(basename(endpoint.socket));
      host = socketFile ? dirname(endpoint.socket) : endpoint.socket;
      if (socketFile) port = Number(socketFile[1]);
    }
    return {
      host,
      port,
      user: credentials?.user ?? this.settings.monitor.user,
      ...(credentials
        ? { password: credentials.password }
        : this.settings.monitor.password === undefined
          ? {}
          : { password: this.settings.monitor.password }),
      database: 'postgres',
      application_name: 'natroni-monitor',
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      query_timeout: CONNECT_TIMEOUT_MS,
      statement_timeout: CONNECT_TIMEOUT_MS,
    };
  }
}
