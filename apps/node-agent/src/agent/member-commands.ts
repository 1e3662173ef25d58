import { Logger } from '@nestjs/common';
import { scheduleStep } from '../../../../libs/domain/src/election/index.ts';
import {
  parseSchedule,
  restartConditionsMet,
  restartRequestError,
} from '../../../../libs/domain/src/index.ts';
import type {
  BootstrapRequest,
  CloneRequest,
  DemoteRequest,
  FollowRequest,
  PromoteRequest,
  ReinitializeRequest,
  RestartRequest,
  RewindRequest,
  ScheduledRestart,
  SetSynchronousStandbyNamesRequest,
  StartRequest,
  StopRequest,
} from '../../../../libs/proto/src/index.ts';
import type pg from 'pg';
import { terminateClientConnections } from '../postgres/client-connections.ts';
import { quoteLiteral } from '../postgres/postgres-pool.ts';
import type { ShutdownMode } from '../postgres/postmaster-process.ts';
import type { ClusterObserver } from './cluster-observer.ts';
import { CommandRefusal } from './command-errors.ts';
import type { LeaseFence } from './lease-fence.ts';
import type { MemberStatusPublisher } from './member-status-publisher.ts';
import { BusyError, type OperationLock } from './operation-lock.ts';
import type { PostgresLifecycle } from './postgres-lifecycle.ts';
import type { PostgresStateMachine } from './postgres-state-machine.ts';
import type { RestartSchedule } from './restart-schedule.ts';
import type { TermTracker } from './term-tracker.ts';

/** How long a role-changing command waits for the agent's watch to deliver the lease it names. */
const LEASE_SIGHTING_WAIT_MS = 3_000;

export interface MemberCommandsDependencies {
  readonly member: string;
  readonly lifecycle: PostgresLifecycle;
  readonly machine: PostgresStateMachine;
  readonly lock: OperationLock;
  readonly terms: TermTracker;
  readonly cluster: ClusterObserver;
  readonly fence: LeaseFence;
  readonly status: MemberStatusPublisher;
  readonly restarts: RestartSchedule;
  readonly pool: pg.Pool;
}

/**
 * What each verb does, after its payload decoded. Lifecycle verbs run one at a time: a second one
 * is answered `busy` at once (Patroni's "<action> already in progress"); only a forced reinitialize
 * waits for its turn. Each returns the reply's message; a refusal throws CommandRefusal.
 */
export class MemberCommands {
  private readonly logger = new Logger('MemberCommands');

  constructor(private readonly deps: MemberCommandsDependencies) {}

  async bootstrap(request: BootstrapRequest): Promise<string> {
    await this.admitLeaseTerm(request.term);
    await this.exclusive('bootstrap', async () => {
      await this.deps.lifecycle.bootstrap();
      this.deps.fence.arm(request.term);
    });
    return 'bootstrapped a new cluster';
  }

  /**
   * Creates the data directory from `source_conn_url` (or `source_member`'s conn_url); with
   * `without_leader`, as Patroni's bootstrap without a leader, from no source and with the methods that
   * have `no_leader` alone. A request with neither is refused: a restore from a backup is asked for,
   * never the outcome of a missing source.
   */
  async clone(request: CloneRequest): Promise<string> {
    const named = request.sourceConnUrl !== '' || request.sourceMember !== '';
    if (request.withoutLeader && named) {
      throw new CommandRefusal('bad_request', 'a clone without a leader takes no source');
    }
    if (!request.withoutLeader && !named) {
      throw new CommandRefusal(
        'bad_request',
        'a clone needs source_member or source_conn_url, or without_leader',
      );
    }
    const source =
      request.sourceConnUrl ||
      (request.sourceMember ? this.deps.cluster.memberConnUrl(request.sourceMember) : undefined);
    if (request.sourceMember && !source) {
      throw new CommandRefusal(
        'bad_request',
        `member ${request.sourceMember} has no known conn_url`,
      );
    }
    const method = await this.exclusive('clone', () =>
      this.deps.lifecycle.clone(source, request.standby),
    );
    return source
      ? `created a replica from ${request.sourceMember || source} using ${method}`
      : `created a replica without a leader using ${method}`;
  }

  async start(request: StartRequest): Promise<string> {
    const asPrimary = this.deps.lifecycle.wouldStartAsPrimary();
    if (asPrimary) await this.admitLeaseTerm(request.term);
    await this.exclusive('start', async () => {
      await this.deps.lifecycle.start();
      if (asPrimary) this.deps.fence.arm(request.term);
    });
    return 'started';
  }

  async stop(request: StopRequest): Promise<string> {
    const mode = shutdownMode(request.mode);
    await this.exclusive('stop', async () => {
      this.deps.fence.disarm();
      await this.deps.lifecycle.stop(mode);
    });
    return 'stopped';
  }

  async restart(request: RestartRequest): Promise<string> {
    const conditions = {
      role: request.role,
      postgres_version: request.postgresVersion,
      restart_pending: request.restartPending,
    };
    const invalid = restartRequestError(conditions);
    if (invalid) throw new CommandRefusal('bad_request', invalid);
    if (request.timeout !== undefined && !(request.timeout > 0)) {
      throw new CommandRefusal('bad_request', 'Timeout should be a positive number of seconds');
    }
    const timeoutMs = request.timeout === undefined ? undefined : request.timeout * 1_000;
    if (request.schedule !== undefined) {
      const schedule = parseSchedule(request.schedule, 'restart', Date.now());
      if (!schedule.ok) throw new CommandRefusal('bad_request', schedule.message);
      const status = await this.deps.status.current();
      const record = {
        ...conditions,
        schedule: schedule.iso,
        timeout: request.timeout,
        postmasterStartTime: status.postmasterStartTime,
      };
      if (!this.armRestart(schedule.atMs, record))
        throw new CommandRefusal('failed', 'Another restart is already scheduled');
      return 'Restart scheduled';
    }
    await this.restartIfMatching(conditions, timeoutMs);
    return 'restarted successfully';
  }

  async reload(): Promise<string> {
    await this.exclusive('reload', () => this.deps.lifecycle.reload());
    return 'reloaded';
  }

  async promote(request: PromoteRequest): Promise<string> {
    await this.admitLeaseTerm(request.term);
    await this.exclusive('promote', async () => {
      await this.deps.lifecycle.promote();
      this.deps.fence.arm(request.term);
    });
    return 'promoted';
  }

  async demote(request: DemoteRequest): Promise<string> {
    this.admitTerm(request.term);
    const mode = shutdownMode(request.mode);
    const leaderUrl = request.leader ? this.knownConnUrl(request.leader) : undefined;
    await this.exclusive('demote', async () => {
      this.deps.fence.disarm();
      await this.deps.lifecycle.demote(leaderUrl, mode);
    });
    return request.leader ? `demoted, following ${request.leader}` : 'demoted';
  }

  async follow(request: FollowRequest): Promise<string> {
    this.admitTerm(request.term);
    const url = request.connUrl || (request.leader ? this.knownConnUrl(request.leader) : '');
    // The standby leader of a standby cluster without host replays standby_cluster's restore_command.
    const archiveOnly = !url && request.standby?.remote === true;
    if (!url && !archiveOnly)
      throw new CommandRefusal('bad_request', 'follow needs leader or conn_url');
    await this.exclusive('follow', async () => {
      this.deps.fence.disarm();
      await this.deps.lifecycle.follow(url || undefined, request.standby);
    });
    return archiveOnly ? 'replaying the archive' : `following ${request.leader || url}`;
  }

  async rewind(request: RewindRequest): Promise<string> {
    this.admitTerm(request.term);
    const url = request.sourceConnUrl || this.leaderConnUrl();
    if (!url)
      throw new CommandRefusal('bad_request', 'rewind needs source_conn_url (no leader known)');
    const outcome = await this.exclusive('rewind', async () => {
      this.deps.fence.disarm();
      return this.deps.lifecycle.rewind(url, request.standby);
    });
    return outcome === 'rewound'
      ? 'rewound, following the new primary'
      : 'reinitialized from the new primary';
  }

  /** Not a lifecycle operation: it runs beside one, as a forced maintenance must act at once. */
  async setSynchronousStandbyNames(request: SetSynchronousStandbyNamesRequest): Promise<string> {
    await this.admitLeaseTerm(request.term);
    if (!this.deps.lifecycle.running)
      throw new CommandRefusal('failed', 'PostgreSQL is not running');
    await this.deps.pool.query(
      'ALTER SYSTEM SET synchronous_standby_names = ' + quoteLiteral(request.value),
    );
    await this.deps.pool.query('SELECT pg_reload_conf()');
    return `synchronous_standby_names = '${request.value}'`;
  }

  /**
   * Takes up the restart a previous run of this agent had scheduled (its member status carries it),
   * as Patroni's HA loop does with a scheduled action: one overdue by more than 1.5 × loop_wait is
   * stale and dropped. Returns what became of it, for the log.
   */
  resumeScheduledRestart(record: ScheduledRestart, loopWaitMs: number): string {
    const atMs = Date.parse(record.schedule);
    if (Number.isNaN(atMs)) return `dropped the unreadable scheduled restart "${record.schedule}"`;
    if (scheduleStep(atMs, Date.now(), loopWaitMs).step === 'stale')
      return `dropped the stale scheduled restart at ${record.schedule}`;
    this.armRestart(atMs, record);
    return `resumed the restart scheduled at ${record.schedule}`;
  }

  private armRestart(atMs: number, record: Omit<ScheduledRestart, '$typeName' | '$unknown'>) {
    const conditions = {
      role: record.role,
      postgres_version: record.postgresVersion,
      restart_pending: record.restartPending,
    };
    const timeoutMs = record.timeout === undefined ? undefined : record.timeout * 1_000;
    return this.deps.restarts.schedule(atMs, record, () => {
      this.restartIfMatching(conditions, timeoutMs).catch((error: unknown) => {
        this.logger.warn({ msg: 'the scheduled restart did not run', err: error });
      });
    });
  }

  /** Patroni's `DELETE /restart`. */
  cancelRestart(): Promise<string> {
    if (!this.deps.restarts.cancel())
      return Promise.reject(new CommandRefusal('not_found', 'no restarts are scheduled'));
    return Promise.resolve('scheduled restart deleted');
  }

  async terminateConnections(): Promise<string> {
    if (!this.deps.lifecycle.running) return 'PostgreSQL is not running: no connection to close';
    const closed = await terminateClientConnections(this.deps.pool);
    return `closed ${closed} client connection${closed === 1 ? '' : 's'}`;
  }

  async reinitialize(request: ReinitializeRequest): Promise<string> {
    const { cluster, member, machine } = this.deps;
    const leader = cluster.leader.record?.member;
    if (leader === member || (machine.role === 'primary' && this.deps.lifecycle.running)) {
      throw new CommandRefusal('failed', 'I am the leader, can not reinitialize');
    }
    const leaderUrl = this.leaderConnUrl();
    const cloneFrom = request.fromLeader
      ? undefined
      : cluster
          .cloneSources(member)
          .map((name) => cluster.memberConnUrl(name))
          .find(Boolean);
    const source = cloneFrom ?? leaderUrl;
    if (!source) throw new CommandRefusal('failed', 'Cluster has no leader, can not reinitialize');
    const run = () => this.deps.lifecycle.reinitialize(source, request.fromLeader);
    if (request.force) await this.deps.lock.run('reinitialize', run);
    else await this.exclusive('reinitialize', run);
    return 'reinitialize started';
  }

  private async restartIfMatching(
    conditions: Parameters<typeof restartConditionsMet>[0],
    timeoutMs: number | undefined,
  ): Promise<void> {
    const status = await this.deps.status.current();
    const subject = {
      role: this.deps.machine.role === 'promoted' ? 'primary' : this.deps.machine.role,
      serverVersion: status.serverVersion,
      pendingRestart: status.pendingRestart,
    };
    if (!restartConditionsMet(conditions, subject)) {
      throw new CommandRefusal('failed', 'restart conditions are not satisfied');
    }
    await this.exclusive('restart', () => this.deps.lifecycle.restart(timeoutMs));
  }

  private async exclusive<T>(name: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await this.deps.lock.tryRun(name, operation);
    } catch (error) {
      if (error instanceof BusyError) throw new CommandRefusal('busy', error.message);
      throw error;
    }
  }

  private admitTerm(term: number): void {
    const verdict = this.deps.terms.admit(term);
    if (!verdict.accepted) {
      throw new CommandRefusal(
        verdict.reason === 'stale' ? 'stale_term' : 'bad_request',
        verdict.message,
      );
    }
  }

  /** The term must be current, and this agent must itself see the lease naming it with that term. */
  private async admitLeaseTerm(term: number): Promise<void> {
    this.admitTerm(term);
    const { cluster, member } = this.deps;
    const seen = await cluster.awaitLeader(
      (sighting) => sighting.record?.member === member && sighting.record.term === term,
      LEASE_SIGHTING_WAIT_MS,
    );
    if (!seen) {
      const record = cluster.leader.record;
      const holder = record ? `${record.member} with term ${record.term}` : 'nobody';
      throw new CommandRefusal(
        'failed',
        `the leader key does not name ${member} with term ${term} (it names ${holder}): refusing to run as primary`,
      );
    }
  }

  private knownConnUrl(member: string): string {
    const url = this.deps.cluster.memberConnUrl(member);
    if (!url) throw new CommandRefusal('bad_request', `member ${member} has no known conn_url`);
    return url;
  }

  private leaderConnUrl(): string | undefined {
    const leader = this.deps.cluster.leader.record?.member;
    return leader ? this.deps.cluster.memberConnUrl(leader) : undefined;
  }
}

function shutdownMode(mode: string): ShutdownMode {
  if (mode === '') return 'fast';
  if (mode === 'smart' || mode === 'fast' || mode === 'immediate') return mode;
  throw new CommandRefusal(
    'bad_request',
    `unknown shutdown mode "${mode}": use smart, fast or immediate`,
  );
}
