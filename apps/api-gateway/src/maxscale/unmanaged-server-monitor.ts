import { hostname } from 'node:os';
import { basename, dirname } from 'node:path';
import { create, equals } from '@bufbuild/protobuf';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import pg from 'pg';
import {
  ClusterKeys,
  RevisionConflictError,
  serverStateKey,
} from '../../../../libs/dcs/src/index.ts';
import {
  CLIENT_SESSION_CONDITION,
  endpointOf,
  monitorCredentials,
  monitorLeaseLapsed,
  monitorLeaseMove,
  NATRONI_APPLICATION_NAME_PREFIX,
  type ServerConnections,
} from '../../../../libs/domain/src/index.ts';
import {
  ServerMonitorLeaseSchema,
  ServerObservationSchema,
  type ServerObservation,
  type ServerRecord,
} from '../../../../libs/proto/src/index.ts';
import { GATEWAY_SETTINGS, type GatewaySettings } from '../gateway-settings.ts';
import { LiveCluster } from '../../../../libs/live-cluster/src/index.ts';
import { V1_SETTINGS, type V1Settings } from './v1-settings.ts';

const UNREACHABLE: ServerObservation = create(ServerObservationSchema, {});

/** The connection statistics of an observation, as a server resource shows them. */
export function connectionsOf(observation: ServerObservation): ServerConnections {
  return {
    connections: observation.connections,
    totalConnections: observation.totalConnections,
    maxConnections: observation.maxConnections,
    activeOperations: observation.activeOperations,
  };
}

const CONNECT_TIMEOUT_MS = 2_000;
const AUTH_FAILURES = new Set(['28P01', '28000']);
const SOCKET_FILE = /^\.s\.PGSQL\.(\d+)$/;

const STATUS_QUERY = `SELECT pg_is_in_recovery() AS in_recovery,
  current_setting('server_version_num')::int AS version_num,
  pg_postmaster_start_time()::text AS started,
  (SELECT count(*) FROM pg_stat_activity WHERE ${CLIENT_SESSION_CONDITION})::int AS connections,
  (SELECT count(*) FROM pg_stat_activity
    WHERE ${CLIENT_SESSION_CONDITION} AND state = 'active')::int AS active`;
const SESSIONS_QUERY = 'SELECT coalesce(sum(sessions), 0)::float8 AS total FROM pg_stat_database';
const TERMINATE_QUERY = `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS terminated
  FROM pg_stat_activity WHERE ${CLIENT_SESSION_CONDITION}`;

interface StatusRow {
  in_recovery: boolean;
  version_num: number;
  started: string;
  connections: number;
  active: number;
}

/**
 * The servers natroni does not manage (a `servers.<name>` record that is not a member), monitored by
 * one gateway of the cluster at a time (the rule of server-monitor-lease.ts): the holder of the
 * `server-monitor` key polls each of them every few seconds with a short-lived `pg` connection
 * (reachable or Down, primary or standby, version and connection statistics) and stores what it sees
 * under `server-states.<name>`, so that every gateway, on any node, answers `/v1/servers` alike and no
 * single gateway process is needed. A gateway whose view of the key has lapsed (its holder is gone, or
 * this gateway lost NATS) shows those servers Down until a new holder has polled them.
 */
@Injectable()
export class UnmanagedServerMonitor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('UnmanagedServerMonitor');
  private readonly holder: string;
  private readonly maxConnections = new Map<string, number>();
  private readonly polling = new Map<string, Promise<void>>();
  private heldRevision: number | undefined;
  private leaseSeen: { revision: number | undefined; atMs: number } = {
    revision: undefined,
    atMs: performance.now(),
  };
  private round: Promise<void> | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly cluster: LiveCluster,
    @Inject(V1_SETTINGS) private readonly settings: V1Settings,
    @Inject(GATEWAY_SETTINGS) gateway: GatewaySettings,
  ) {
    const served = gateway.members.map((member) => member.name).join(',');
    this.holder = `${hostname()} pid ${process.pid}${served ? ` (${served})` : ''}`;
  }

  onApplicationBootstrap(): void {
    this.leaseSeen = {
      revision: this.cluster.view.serverMonitor?.revision,
      atMs: performance.now(),
    };
    // The key is renewed every round: rounds come at least three times per ttl.
    const period = Math.min(this.settings.monitorIntervalMs, this.cluster.facts().ttlMs / 3);
    this.timer = setInterval(() => this.startRound(), period);
    this.timer.unref();
    this.unsubscribe = this.cluster.onChange(() => this.onViewChange());
    this.startRound();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.unsubscribe?.();
    await this.round;
    await Promise.allSettled([...this.polling.values()]);
    // Handing the key back lets another gateway take over at its next round rather than after ttl.
    if (this.heldRevision !== undefined)
      await this.cluster.store
        .delete(ClusterKeys.serverMonitor, this.heldRevision)
        .catch(() => undefined);
    this.heldRevision = undefined;
  }

  /** Part of the gateway's document cache key: whether stored observations count. */
  get version(): number {
    return this.observationsCurrent() ? 1 : 0;
  }

  /** What the monitor last stored for the server with key token `token`; unreachable when unknown. */
  observation(token: string): ServerObservation {
    if (!this.observationsCurrent()) return UNREACHABLE;
    return this.cluster.view.serverStates.get(token)?.value ?? UNREACHABLE;
  }

  /** Whether this gateway monitors the servers natroni does not manage now. */
  get monitoring(): boolean {
    return this.heldRevision !== undefined;
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

  private observationsCurrent(): boolean {
    if (this.heldRevision !== undefined) return true;
    const lease = this.cluster.view.serverMonitor;
    return !monitorLeaseLapsed({
      lease: lease && { revision: lease.revision, ttlMs: lease.value.ttl * 1000 },
      seenForMs: performance.now() - this.leaseSeen.atMs,
    });
  }

  private onViewChange(): void {
    const revision = this.cluster.view.serverMonitor?.revision;
    if (revision !== this.leaseSeen.revision)
      this.leaseSeen = { revision, atMs: performance.now() };
    // A new server is polled at once rather than at the next round.
    if (this.heldRevision !== undefined) this.pollAll(true);
  }

  private startRound(): void {
    if (this.round) return;
    this.round = this.runRound()
      .catch((error: unknown) => this.logger.warn({ msg: 'monitor round failed', err: error }))
      .finally(() => {
        this.round = undefined;
      });
  }

  private async runRound(): Promise<void> {
    if (!(await this.holdLease())) return;
    await this.removeStatesOfGoneServers();
    this.pollAll(false);
    await Promise.allSettled([...this.polling.values()]);
  }

  /** Renews, creates or takes over the `server-monitor` key as the rule says; true while held. */
  private async holdLease(): Promise<boolean> {
    const lease = this.cluster.view.serverMonitor;
    const move = monitorLeaseMove({
      heldRevision: this.heldRevision,
      lease: lease && { revision: lease.revision, ttlMs: lease.value.ttl * 1000 },
      seenForMs: performance.now() - this.leaseSeen.atMs,
    });
    if (move.kind === 'wait') return false;
    const value = create(ServerMonitorLeaseSchema, {
      holder: this.holder,
      ttl: this.cluster.facts().ttlMs / 1000,
    });
    const store = this.cluster.store;
    try {
      this.heldRevision =
        move.kind === 'create'
          ? await store.create(ClusterKeys.serverMonitor, value)
          : await store.update(ClusterKeys.serverMonitor, value, move.revision);
      if (move.kind !== 'renew')
        this.logger.log({
          msg: 'monitoring the servers natroni does not manage',
          holder: this.holder,
        });
      return true;
    } catch (error) {
      const held = this.heldRevision !== undefined;
      this.heldRevision = undefined;
      this.maxConnections.clear();
      if (!(error instanceof RevisionConflictError)) throw error;
      if (held)
        this.logger.log({ msg: 'another gateway monitors the servers natroni does not manage' });
      return false;
    }
  }

  private async removeStatesOfGoneServers(): Promise<void> {
    const view = this.cluster.view;
    for (const [token, entry] of view.serverStates) {
      const record = view.servers.get(token);
      if (record && !record.value.member) continue;
      this.maxConnections.delete(token);
      await this.cluster.store
        .delete(serverStateKey(token), entry.revision)
        .catch((error: unknown) => {
          if (!(error instanceof RevisionConflictError)) throw error;
        });
    }
  }

  private pollAll(onlyNew: boolean): void {
    const view = this.cluster.view;
    for (const [token, entry] of view.servers) {
      if (entry.value.member || this.polling.has(token)) continue;
      if (onlyNew && view.serverStates.has(token)) continue;
      const poll = this.poll(token, entry.value)
        .then((observation) => this.store(token, observation))
        .catch((error: unknown) => this.logger.warn({ msg: 'poll failed', token, err: error }))
        .finally(() => this.polling.delete(token));
      this.polling.set(token, poll);
    }
  }

  /** Stores an observation that differs from the stored one, while this gateway holds the key. */
  private async store(token: string, observation: ServerObservation): Promise<void> {
    const view = this.cluster.view;
    const record = view.servers.get(token);
    if (this.heldRevision === undefined || !record || record.value.member) return;
    const stored = view.serverStates.get(token)?.value;
    if (stored && equals(ServerObservationSchema, stored, observation)) return;
    await this.cluster.store.put(serverStateKey(token), observation);
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
      return create(ServerObservationSchema, {
        reachable: true,
        inRecovery: row.in_recovery,
        versionNum: row.version_num,
        startTime: row.started,
        connections: row.connections,
        totalConnections: total,
        maxConnections: max,
        activeOperations: row.active,
      });
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      return create(ServerObservationSchema, {
        authError: typeof code === 'string' && AUTH_FAILURES.has(code),
      });
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
      application_name: `${NATRONI_APPLICATION_NAME_PREFIX}monitor`,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      query_timeout: CONNECT_TIMEOUT_MS,
      statement_timeout: CONNECT_TIMEOUT_MS,
    };
  }
}
