import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { Logger } from '@nestjs/common';
import type pg from 'pg';
import {
  isQueryableState,
  NATRONI_VERSION,
  postgresStateLabel,
  UNKNOWN_STATE_LABEL,
  type ControlData,
} from '../../../../libs/domain/src/index.ts';
import { memberKey, type ClusterStore } from '../../../../libs/dcs/src/index.ts';
import type { EventPublisher } from '../../../../libs/events/src/index.ts';
import type { MemberConfig } from '../../../../libs/member-config/src/index.ts';
import {
  ConnectionStatisticsSchema,
  MemberStatusSchema,
  PendingRestartParameterSchema,
  ReplicationConnectionSchema,
  XlogSchema,
  type MemberStatus,
  type ScheduledRestart,
} from '../../../../libs/proto/src/index.ts';
import { queryPostgresSnapshot, type PostgresSnapshot } from '../postgres/status-query.ts';
import type { PostgresStateMachine, StateChange } from './postgres-state-machine.ts';
import type { TermTracker } from './term-tracker.ts';

export interface MemberStatusPublisherOptions {
  readonly config: MemberConfig;
  readonly store: ClusterStore;
  readonly events: EventPublisher;
  readonly machine: PostgresStateMachine;
  readonly pool: pg.Pool;
  readonly terms: TermTracker;
  readonly connUrl: string;
  readonly scheduledRestart: () => ScheduledRestart | undefined;
  /** Where PostgreSQL stopped (pg_controldata), reported while it does not run. */
  readonly lastStop: () => ControlData | undefined;
  /**
   * How often the status is published while PostgreSQL runs. A quarter of a second keeps the lag
   * that health checks and the leader race read from KV fresh, for one small query and one KV write.
   */
  readonly intervalMs?: number;
}

/**
 * Publishes the member status to `members.<name>` on every state or role change and at least once per
 * `intervalMs` while PostgreSQL runs, from one status query over the agent's pool; also publishes the
 * `state_changed` and `role_changed` events.
 */
export class MemberStatusPublisher {
  private readonly logger = new Logger('MemberStatusPublisher');
  private timer: ReturnType<typeof setInterval> | undefined;
  private inFlight: Promise<void> | undefined;
  private again = false;
  private lastSnapshot: PostgresSnapshot | undefined;
  private mostConnections = 0;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly options: MemberStatusPublisherOptions) {}

  start(): void {
    this.unsubscribe = this.options.machine.onChange((change) => this.onChange(change));
    this.timer = setInterval(() => {
      if (isQueryableState(this.options.machine.state)) void this.publishNow();
    }, this.options.intervalMs ?? 250);
    void this.publishNow();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.unsubscribe?.();
    await this.inFlight;
  }

  /** Publishes now, or once more right after the publication in progress. */
  publishNow(): Promise<void> {
    if (this.inFlight) {
      this.again = true;
      return this.inFlight;
    }
    this.inFlight = (async () => {
      do {
        this.again = false;
        try {
          await this.options.store.put(memberKey(this.options.config.name), await this.current());
        } catch (error) {
          this.logger.warn({ msg: 'could not publish the member status', err: error });
        }
      } while (this.again);
    })().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** The member status now, querying PostgreSQL when it should answer. */
  async current(): Promise<MemberStatus> {
    const { machine, config } = this.options;
    const state = machine.state;
    let snapshot: PostgresSnapshot | undefined;
    if (isQueryableState(state)) {
      try {
        snapshot = await queryPostgresSnapshot(this.options.pool);
        this.lastSnapshot = snapshot;
      } catch {
        snapshot = undefined;
      }
    }
    const label =
      state === 'running' && snapshot === undefined
        ? UNKNOWN_STATE_LABEL
        : postgresStateLabel(state);
    const status = create(MemberStatusSchema, {
      name: config.name,
      scope: config.scope,
      state: label,
      role: machine.role,
      tags: { ...config.tags },
      connUrl: this.options.connUrl,
      apiUrl: `http://${config.restapi.connect_address}/patroni`,
      version: NATRONI_VERSION,
      scheduledRestart: this.options.scheduledRestart(),
      updatedAt: timestampFromMs(Date.now()),
    });
    if (snapshot) this.addSnapshot(status, snapshot);
    else this.addLastStop(status);
    return status;
  }

  private addLastStop(status: MemberStatus): void {
    const stopped = this.options.lastStop();
    if (stopped?.checkpointWalPosition !== undefined)
      status.xlogLocation = stopped.checkpointWalPosition;
    if (stopped?.timeline !== undefined) status.timeline = stopped.timeline;
  }

  private addSnapshot(status: MemberStatus, snapshot: PostgresSnapshot): void {
    status.serverVersion = snapshot.serverVersion;
    status.postmasterStartTime = snapshot.postmasterStartTime;
    status.timeline = snapshot.timeline;
    status.databaseSystemIdentifier = snapshot.systemIdentifier;
    if (snapshot.inRecovery) {
      const received = snapshot.receivedWalPosition ?? 0;
      const replayed = snapshot.replayedWalPosition ?? 0;
      status.xlog = create(XlogSchema, {
        receivedLocation: received,
        replayedLocation: replayed,
        replayedTimestamp: snapshot.replayedTimestamp,
        paused: snapshot.paused,
      });
      status.xlogLocation = Math.max(received, replayed);
      status.receiveLsn = received;
      status.replayLsn = replayed;
      status.replicationState = snapshot.replicationState;
    } else {
      status.xlog = create(XlogSchema, {
        location: snapshot.flushedWalPosition ?? 0,
      });
      status.xlogLocation = snapshot.flushedWalPosition ?? 0;
    }
    status.replication = snapshot.replication.map((row) =>
      create(ReplicationConnectionSchema, {
        usename: row.usename ?? '',
        applicationName: row.application_name ?? '',
        clientAddr: row.client_addr ?? '',
        state: row.state ?? '',
        syncState: row.sync_state ?? '',
        syncPriority: row.sync_priority ?? 0,
      }),
    );
    const pending = Object.entries(snapshot.pendingRestartReason);
    status.pendingRestart = pending.length > 0;
    for (const [name, values] of pending) {
      status.pendingRestartReason[name] = create(PendingRestartParameterSchema, {
        oldValue: values.old_value,
        newValue: values.new_value,
      });
    }
    this.mostConnections = Math.max(this.mostConnections, snapshot.connections);
    status.connections = create(ConnectionStatisticsSchema, {
      connections: snapshot.connections,
      totalConnections: snapshot.totalConnections,
      activeOperations: snapshot.activeOperations,
      maxConnections: this.mostConnections,
    });
  }

  private onChange(change: StateChange): void {
    void this.publishNow();
    const { events, config, terms } = this.options;
    const envelope = {
      member: config.name,
      term: terms.highestTerm,
      timeline: this.lastSnapshot?.timeline ?? 0,
      lsn: this.lastSnapshot?.flushedWalPosition ?? this.lastSnapshot?.replayedWalPosition ?? 0,
    };
    const published: Promise<unknown>[] = [];
    if (change.fromState !== change.toState) {
      published.push(
        events.publish({
          ...envelope,
          detail: {
            case: 'stateChanged',
            value: {
              fromState: postgresStateLabel(change.fromState),
              toState: postgresStateLabel(change.toState),
            },
          },
        }),
      );
    }
    if (change.fromRole !== change.toRole) {
      published.push(
        events.publish({
          ...envelope,
          detail: {
            case: 'roleChanged',
            value: { fromRole: change.fromRole, toRole: change.toRole },
          },
        }),
      );
    }
    for (const publication of published) {
      publication.catch((error: unknown) => {
        this.logger.warn({ msg: 'could not publish an event', err: error });
      });
    }
  }
}
