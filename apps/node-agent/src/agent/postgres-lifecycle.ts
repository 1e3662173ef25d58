import { rm } from 'node:fs/promises';
import { create } from '@bufbuild/protobuf';
import { Logger } from '@nestjs/common';
import { standbyUpstream } from '../../../../libs/agent-client/src/index.ts';
import type pg from 'pg';
import {
  parseControlData,
  restartAfterUnansweredFence,
  type ControlData,
  callbackRole,
  removeDataAfterRewindFailure,
  slotNameForMember,
  type MemberRole,
} from '../../../../libs/domain/src/index.ts';
import type {
  BootstrapMethodOptions,
  CallbackAction,
  MemberConfig,
  ParameterValue,
} from '../../../../libs/member-config/src/index.ts';
import {
  createClusterUsers,
  prepareDataDir,
  runCustomBootstrap,
  runInitdb,
  runPostBootstrap,
} from '../postgres/cluster-creation.ts';
import { answersAsPrimary } from '../postgres/primary-probe.ts';
import type { OsUser } from '../postgres/os-user.ts';
import { PostgresFiles } from '../postgres/postgres-files.ts';
import {
  conninfo,
  postgresParameters,
  splitHostPort,
  type UpstreamSettings,
} from '../postgres/postgres-settings.ts';
import { runPostgresTool } from '../postgres/postgres-tool.ts';
import { PostmasterProcess, type ShutdownMode } from '../postgres/postmaster-process.ts';
import {
  createReplica,
  ensureReplicationSlot,
  ReplicaCreationError,
} from '../postgres/replica-creation.ts';
import type { CallbackQueue } from './callback-queue.ts';
import type { ClusterObserver } from './cluster-observer.ts';
import { StandbyUpstreamSchema, type StandbyUpstream } from '../../../../libs/proto/src/index.ts';
import type { PostgresStateMachine } from './postgres-state-machine.ts';

const DEFAULT_START_TIMEOUT_MS = 60_000;
const PROMOTE_TIMEOUT_S = 60;
const REWIND_TIMEOUT_MS = 10 * 60_000;
/**
 * A custom bootstrap, its command and the recovery after it, must end this long before the election
 * stops waiting for it (`bootstrap.timeout`) and frees the initialize key for another attempt.
 */
const CUSTOM_BOOTSTRAP_MARGIN_MS = 10_000;
const RECOVERY_POLL_MS = 100;
/**
 * How often a start asks PostgreSQL whether it accepts connections. A start takes 0.1-0.3 s and is on
 * the path of every bootstrap, clone and failover; a poll that fails costs one refused connection.
 */
const START_POLL_MS = 10;

/** A lifecycle operation that cannot be carried out in the member's present condition. */
export class LifecycleRefusal extends Error {
  override readonly name = 'LifecycleRefusal';
}

export interface LifecycleDependencies {
  readonly config: MemberConfig;
  readonly osUser: OsUser;
  readonly pool: pg.Pool;
  readonly machine: PostgresStateMachine;
  readonly cluster: ClusterObserver;
  readonly callbacks: CallbackQueue;
}

/**
 * Every PostgreSQL lifecycle operation of one member. The postmaster is this process's (guarded)
 * child: a stop is a signal and a crash is its exit. Callers serialize the operations (OperationLock).
 */
export class PostgresLifecycle {
  private readonly logger = new Logger('PostgresLifecycle');
  private readonly config: MemberConfig;
  private readonly files: PostgresFiles;
  private postmaster: PostmasterProcess | undefined;
  /** The upstream this member last streamed from; kept through a promotion for a self-fencing demotion. */
  private upstream: UpstreamSettings | undefined;
  private stoppedAt: ControlData | undefined;
  /** When PostgreSQL was fenced for not answering (performance.now()), until it may start again. */
  private unansweredFenceAt: number | undefined;

  constructor(private readonly deps: LifecycleDependencies) {
    this.config = deps.config;
    this.files = new PostgresFiles(deps.config.postgresql.data_dir, deps.osUser);
    if (this.files.isInitialized()) {
      deps.machine.set('stopped', this.files.isStandby() ? 'replica' : 'primary');
    }
  }

  get running(): boolean {
    return this.postmaster?.running ?? false;
  }

  get connUrl(): string {
    const { host, port } = splitHostPort(this.config.postgresql.connect_address, 'connect_address');
    return `postgres://${host}:${port}/postgres`;
  }

  /** Whether `start` would run PostgreSQL as primary (a start that needs the lease term). */
  wouldStartAsPrimary(): boolean {
    return this.files.isInitialized() && !this.files.isStandby();
  }

  /**
   * Creates the cluster: initdb, or the custom `bootstrap.method` (Patroni's `_custom_bootstrap`), then
   * starts it as primary, runs `post_bootstrap` and creates the replication and rewind users. After a
   * custom method with `recovery_conf`, PostgreSQL first recovers with those settings, and natroni waits
   * for the end of that recovery. Any failure stops PostgreSQL and removes the data directory, so that
   * another attempt (of this member or another) starts afresh.
   */
  async bootstrap(): Promise<void> {
    if (this.files.isInitialized()) throw new LifecycleRefusal('the data directory is not empty');
    const { machine } = this.deps;
    const custom =
      this.config.bootstrap.method === 'initdb' ? undefined : this.config.bootstrap.method_options;
    const timeoutMs = this.config.bootstrap.timeout * 1000 - CUSTOM_BOOTSTRAP_MARGIN_MS;
    const deadline = performance.now() + timeoutMs;
    machine.set(custom ? 'custom_bootstrap' : 'initdb', 'uninitialized');
    try {
      if (custom) {
        await runCustomBootstrap(this.config, this.deps.osUser, timeoutMs);
        await this.prepareRestoredCluster(custom);
      } else {
        await runInitdb(this.config, this.deps.osUser);
        await this.files.keepBaseConfig();
        await this.writeConfiguration(undefined);
        await this.files.setStandby(false);
      }
    } catch (error) {
      machine.set(custom ? 'custom_bootstrap_failed' : 'initdb_failed', 'uninitialized');
      await rm(this.config.postgresql.data_dir, { recursive: true, force: true });
      throw error;
    }
    try {
      if (custom) {
        await this.launch('replica', DEFAULT_START_TIMEOUT_MS, 'start_failed');
        await this.awaitEndOfRecovery(deadline, timeoutMs);
        machine.setRole('primary');
        await this.files.setRecoverySignal(false);
        await this.writeConfiguration(undefined);
        await this.deps.pool.query('SELECT pg_reload_conf()');
      } else {
        await this.launch('primary', DEFAULT_START_TIMEOUT_MS, 'start_failed');
      }
      // Patroni's order: the script first, then the users natroni needs (existing ones are altered).
      const postBootstrap = this.config.bootstrap.post_bootstrap ?? this.config.bootstrap.post_init;
      if (postBootstrap) await runPostBootstrap(postBootstrap, this.superuserUrl());
      await createClusterUsers(this.deps.pool, this.config);
    } catch (error) {
      this.logger.error({ msg: 'bootstrap failed: removing the data directory', err: error });
      if (this.running) await this.shutdown('immediate');
      await rm(this.config.postgresql.data_dir, { recursive: true, force: true });
      machine.set('stopped', 'uninitialized');
      throw error;
    }
    void this.callback('on_start');
  }

  /**
   * Patroni's `_post_restore` and recovery settings after a custom bootstrap: natroni's configuration
   * files, then either the `recovery_conf` settings (with recovery.signal), the recovery settings the
   * command left (`keep_existing_recovery_conf`), or none.
   */
  private async prepareRestoredCluster(custom: BootstrapMethodOptions): Promise<void> {
    if (!this.files.isInitialized())
      throw new Error(
        'the custom bootstrap command left no PostgreSQL cluster in the data directory',
      );
    await this.files.keepBaseConfig();
    await this.files.removePromoteSignal();
    if (custom.recovery_conf !== undefined) {
      await this.writeConfiguration(undefined, custom.recovery_conf);
      await this.files.setStandby(false);
      await this.files.setRecoverySignal(true);
    } else {
      await this.writeConfiguration(undefined);
      if (!custom.keep_existing_recovery_conf) {
        await this.files.setStandby(false);
        await this.files.setRecoverySignal(false);
      }
    }
  }

  private async awaitEndOfRecovery(deadline: number, timeoutMs: number): Promise<void> {
    while (await this.inRecovery()) {
      if (performance.now() > deadline)
        throw new Error(
          `PostgreSQL was still in recovery after the custom bootstrap ${timeoutMs} ms after it began`,
        );
      await sleep(RECOVERY_POLL_MS);
    }
  }

  /**
   * Creates the data directory with the replica creation methods (createReplica), from `sourceConnUrl`,
   * or without a source with the `no_leader` methods alone; then starts PostgreSQL as a replica.
   * Returns the method that created it.
   */
  async clone(sourceConnUrl: string | undefined, standby?: StandbyUpstream): Promise<string> {
    if (this.running) throw new LifecycleRefusal('PostgreSQL is running: stop it first');
    if (this.files.isInitialized()) throw new LifecycleRefusal('the data directory is not empty');
    return this.createReplica(sourceConnUrl, false, standby);
  }

  private async createReplica(
    sourceConnUrl: string | undefined,
    fromLeader: boolean,
    standby?: StandbyUpstream,
  ): Promise<string> {
    const { machine } = this.deps;
    machine.set('creating_replica', 'uninitialized');
    const upstream = this.upstreamFor(sourceConnUrl, standby);
    let method: string;
    try {
      await prepareDataDir(this.config.postgresql.data_dir, this.deps.osUser);
      if (upstream) await this.ensureSlot(upstream);
      method = await createReplica(
        this.config,
        this.deps.osUser,
        upstream?.connUrl === undefined
          ? undefined
          : {
              connUrl: upstream.connUrl,
              slotName: upstream.remote ? undefined : upstream.slotName,
            },
        {
          // As Patroni, in a standby cluster standby_cluster's methods, for every member.
          methods: standby
            ? standby.createReplicaMethods
            : this.config.postgresql.create_replica_methods,
          fromLeader,
        },
      );
      await this.files.keepBaseConfig();
      await this.files.removePromoteSignal();
      await this.writeConfiguration(upstream);
      await this.files.setStandby(true);
    } catch (error) {
      machine.set('stopped', 'uninitialized');
      await rm(this.config.postgresql.data_dir, { recursive: true, force: true });
      throw standby?.remote && upstream?.connUrl === undefined
        ? archiveOnlyCopyError(error)
        : error;
    }
    this.upstream = upstream;
    await this.launch('replica', DEFAULT_START_TIMEOUT_MS, 'start_failed');
    void this.callback('on_start');
    return method;
  }

  async start(): Promise<void> {
    if (this.running) throw new LifecycleRefusal('PostgreSQL is already running');
    if (!this.files.isInitialized()) throw new LifecycleRefusal('the data directory is empty');
    const role: MemberRole = this.files.isStandby() ? 'replica' : 'primary';
    await this.writeConfiguration(role === 'replica' ? this.upstream : undefined);
    await this.launch(role, DEFAULT_START_TIMEOUT_MS, 'start_failed');
    void this.callback('on_start');
  }

  async stop(mode: ShutdownMode): Promise<void> {
    await this.shutdown(mode);
    void this.callback('on_stop');
  }

  async restart(timeoutMs = DEFAULT_START_TIMEOUT_MS): Promise<void> {
    if (!this.running) throw new LifecycleRefusal('PostgreSQL is not running');
    const role = this.deps.machine.role;
    this.deps.machine.set('restarting');
    try {
      await this.postmaster?.stop('fast');
    } catch (error) {
      this.deps.machine.set('restart_failed');
      throw error;
    }
    await this.launch(role === 'promoted' ? 'primary' : role, timeoutMs, 'restart_failed');
    void this.callback('on_restart');
  }

  async reload(): Promise<void> {
    if (!this.files.isInitialized()) throw new LifecycleRefusal('the data directory is empty');
    const standby = this.files.isStandby();
    await this.writeConfiguration(standby ? this.upstream : undefined);
    if (this.running) await this.deps.pool.query('SELECT pg_reload_conf()');
    void this.callback('on_reload');
  }

  async promote(): Promise<void> {
    const { machine } = this.deps;
    if (!this.running || machine.state !== 'running') {
      throw new LifecycleRefusal('PostgreSQL is not running');
    }
    if (!(await this.inRecovery())) {
      machine.setRole('primary');
      return;
    }
    machine.setRole('promoted');
    await runPostgresTool(
      'pg_ctl',
      // -W (no wait): pg_ctl would poll every 100 ms; the loop below sees the end of recovery sooner.
      ['promote', '-D', this.config.postgresql.data_dir, '-W'],
      { binDir: this.config.postgresql.bin_dir, osUser: this.deps.osUser, timeoutMs: 90_000 },
    );
    const deadline = performance.now() + PROMOTE_TIMEOUT_S * 1_000;
    while (await this.inRecovery()) {
      if (performance.now() > deadline)
        throw new Error('PostgreSQL stayed in recovery after promote');
      await sleep(10);
    }
    machine.setRole('primary');
    // pg_rewind on the old primary reads the new timeline from this checkpoint.
    await this.deps.pool.query('CHECKPOINT');
    await this.writeConfiguration(undefined);
    void this.callback('on_role_change');
  }

  /** Stops (in `mode`), then starts read-only following `leaderConnUrl`, or the last upstream if none. */
  async demote(leaderConnUrl: string | undefined, mode: ShutdownMode): Promise<void> {
    const upstream = leaderConnUrl === undefined ? this.upstream : this.upstreamFor(leaderConnUrl);
    if (this.running) await this.shutdown(mode);
    this.deps.machine.setRole('demoted');
    await this.startAsReplica(upstream);
    void this.callback('on_role_change');
  }

  /**
   * Re-points a replica at `connUrl` (a member, or with `standby.remote` a standby cluster's remote
   * primary, or none when it is fed by restore_command alone) by a configuration reload; a primary is
   * demoted first.
   */
  async follow(connUrl: string | undefined, standby?: StandbyUpstream): Promise<void> {
    const upstream = this.upstreamFor(connUrl, standby);
    if (!upstream)
      throw new LifecycleRefusal('nothing to follow: neither an upstream nor an archive');
    if (!this.running || !(await this.inRecovery())) {
      const wasPrimary = this.running;
      if (this.running) await this.shutdown('fast');
      await this.startAsReplica(upstream);
      if (wasPrimary) void this.callback('on_role_change');
      return;
    }
    await this.ensureSlotIfPossible(upstream);
    await this.writeConfiguration(upstream);
    this.upstream = upstream;
    // PostgreSQL 13+ applies primary_conninfo and primary_slot_name on reload (the WAL receiver restarts).
    await this.deps.pool.query('SELECT pg_reload_conf()');
    this.deps.machine.setRole('replica');
  }

  /**
   * pg_rewind from `sourceConnUrl` (a no-op when the timelines have not diverged), then start as its
   * replica. As Patroni: with `use_pg_rewind` off, or when pg_rewind fails, the member clones anew if
   * `remove_data_directory_on_diverged_timelines` (or, for a failure, `..._on_rewind_failure`) is set,
   * and stays as it is otherwise. In a standby cluster (`standby`) the rewound member starts with
   * standby_cluster's restore_command, as it follows.
   */
  async rewind(
    sourceConnUrl: string,
    standby?: StandbyUpstream,
  ): Promise<'rewound' | 'reinitialized'> {
    const {
      use_pg_rewind: usePgRewind,
      remove_data_directory_on_rewind_failure: removeOnFailure,
      remove_data_directory_on_diverged_timelines: removeOnDiverged,
    } = this.config.postgresql;
    if (!usePgRewind) {
      if (!removeOnDiverged)
        throw new LifecycleRefusal(
          'the timelines diverged and use_pg_rewind is off: set remove_data_directory_on_diverged_timelines, or reinitialize this member',
        );
      this.logger.warn({ msg: 'reinitializing due to diverged timelines' });
      await this.reinitialize(sourceConnUrl);
      return 'reinitialized';
    }
    if (this.running) await this.shutdown('fast');
    const source =
      this.config.postgresql.authentication.rewind ??
      this.config.postgresql.authentication.superuser;
    try {
      await runPostgresTool(
        'pg_rewind',
        [
          '-D',
          this.config.postgresql.data_dir,
          `--source-server=${conninfo(sourceConnUrl, source)}`,
        ],
        {
          binDir: this.config.postgresql.bin_dir,
          osUser: this.deps.osUser,
          timeoutMs: REWIND_TIMEOUT_MS,
        },
      );
    } catch (error) {
      const remove = removeDataAfterRewindFailure({
        removeOnRewindFailure: removeOnFailure,
        removeOnDivergedTimelines: removeOnDiverged,
        sourceIsPrimary: await answersAsPrimary(sourceConnUrl, source),
      });
      if (!remove) throw error;
      this.logger.warn({
        msg: `${removeOnFailure ? 'remove_data_directory_on_rewind_failure' : 'remove_data_directory_on_diverged_timelines'} is set: pg_rewind failed, removing the data directory and cloning anew`,
        err: error,
      });
      await this.reinitialize(sourceConnUrl);
      return 'reinitialized';
    }
    // pg_rewind copies the source's configuration files: natroni's are written again.
    await this.files.keepBaseConfig();
    this.deps.machine.setRole('demoted');
    await this.startAsReplica(this.upstreamFor(sourceConnUrl, standby));
    void this.callback('on_role_change');
    return 'rewound';
  }

  /**
   * Stops PostgreSQL (immediate) and creates the replica anew from `sourceConnUrl`. As in Patroni, the
   * data directory is left to the methods: basebackup and the custom methods empty it, those with
   * `keep_data` (a pgBackRest `--delta` restore) reuse it. In a standby cluster the member cascades
   * from the standby leader, with standby_cluster's methods and restore_command.
   */
  async reinitialize(sourceConnUrl: string, fromLeader = false): Promise<string> {
    if (this.running) await this.shutdown('immediate');
    return this.createReplica(sourceConnUrl, fromLeader, this.cascadeUpstream());
  }

  /** What a member of a standby cluster streaming from its standby leader is given, if it is one. */
  private cascadeUpstream(): StandbyUpstream | undefined {
    const standby = this.deps.cluster.standbyCluster;
    if (!standby) return undefined;
    return create(StandbyUpstreamSchema, standbyUpstream(standby, false));
  }

  /** Self-fencing: immediate stop, then read-only (standby.signal) with the last known upstream. */
  async fence(): Promise<void> {
    if (this.running) await this.shutdown('immediate');
    this.deps.machine.setRole('demoted');
    await this.startAsReplica(this.upstream);
    void this.callback('on_role_change');
  }

  /**
   * Fences a PostgreSQL that stopped answering: SIGKILL to all of it, without waiting for a process
   * stuck in the kernel to exit (it can no longer commit). It then stays stopped until another member
   * leads, so that a healthy replica wins the race (restartAfterUnansweredFence).
   */
  killUnanswering(): void {
    const postmaster = this.postmaster;
    if (!postmaster?.running) return;
    this.unansweredFenceAt = performance.now();
    postmaster.kill();
    this.deps.machine.set('stopped', 'demoted');
    void this.callback('on_stop');
  }

  /** Stops PostgreSQL at agent shutdown, without callbacks. */
  async close(): Promise<void> {
    if (this.running) await this.shutdown('fast');
  }

  private async startAsReplica(upstream: UpstreamSettings | undefined): Promise<void> {
    if (upstream) await this.ensureSlotIfPossible(upstream);
    await this.files.setStandby(true);
    await this.writeConfiguration(upstream);
    this.upstream = upstream;
    await this.launch(upstream ? 'replica' : 'demoted', DEFAULT_START_TIMEOUT_MS, 'start_failed');
  }

  private async shutdown(mode: ShutdownMode): Promise<void> {
    const postmaster = this.postmaster;
    if (!postmaster?.running) return;
    this.deps.machine.set('stopping');
    try {
      await postmaster.stop(mode);
    } catch (error) {
      this.deps.machine.set('stop_failed');
      throw error;
    }
    // Read before the state changes, so that the "stopped" status already carries the position.
    this.stoppedAt = await this.readControlData().catch((error: unknown) => {
      this.logger.warn({ msg: 'could not read pg_controldata after the stop', err: error });
      return undefined;
    });
    this.deps.machine.set('stopped');
  }

  /**
   * Where the last stop left the cluster: after a clean (smart or fast) shutdown, the shutdown
   * checkpoint, which a switchover candidate must have received before it may promote.
   */
  lastStop(): ControlData | undefined {
    return this.running ? undefined : this.stoppedAt;
  }

  private async readControlData(): Promise<ControlData> {
    const output = await runPostgresTool(
      'pg_controldata',
      ['-D', this.config.postgresql.data_dir],
      {
        binDir: this.config.postgresql.bin_dir,
        osUser: this.deps.osUser,
        timeoutMs: 10_000,
      },
    );
    return parseControlData(output);
  }

  private async launch(
    role: MemberRole,
    timeoutMs: number,
    failedState: 'start_failed' | 'restart_failed',
  ): Promise<void> {
    const { machine } = this.deps;
    const refusal = this.unansweredFenceRefusal();
    if (refusal !== undefined) throw new LifecycleRefusal(refusal);
    if (machine.state !== 'restarting') machine.set('starting', role);
    const postmaster = PostmasterProcess.start(
      this.config.postgresql.bin_dir,
      this.config.postgresql.data_dir,
      this.deps.osUser,
    );
    this.postmaster = postmaster;
    void postmaster.exited.then((exit) => {
      if (this.postmaster !== postmaster || exit.requested) return;
      this.logger.error({
        msg: 'the postmaster exited unexpectedly',
        code: exit.code,
        log: postmaster.log.slice(-1_000),
      });
      machine.set('crashed');
    });
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (!postmaster.running) {
        machine.set(failedState, role);
        throw new Error(`PostgreSQL exited during start-up:\n${postmaster.log.slice(-2_000)}`);
      }
      try {
        await this.deps.pool.query('SELECT 1');
        break;
      } catch (error) {
        if (performance.now() > deadline) {
          await postmaster.stop('immediate');
          machine.set(failedState, role);
          throw new Error(`PostgreSQL did not accept connections within ${timeoutMs} ms`, {
            cause: error,
          });
        }
        await sleep(START_POLL_MS);
      }
    }
    machine.set('running', role);
  }

  private unansweredFenceRefusal(): string | undefined {
    if (this.unansweredFenceAt === undefined) return undefined;
    const leader = this.deps.cluster.leader.record;
    const verdict = restartAfterUnansweredFence({
      fencedAtMs: this.unansweredFenceAt,
      nowMs: performance.now(),
      ttlMs: this.deps.cluster.ttlMs,
      otherLeader: leader !== undefined && leader.member !== this.config.name,
    });
    if (!verdict.allowed) return verdict.reason;
    this.unansweredFenceAt = undefined;
    return undefined;
  }

  private async writeConfiguration(
    upstream: UpstreamSettings | undefined,
    recovery: Readonly<Record<string, ParameterValue>> = {},
  ): Promise<void> {
    await this.files.keepBaseConfig();
    const parameters = postgresParameters(
      this.config,
      this.deps.cluster.dynamicParameters,
      upstream,
    );
    for (const [name, value] of Object.entries(recovery)) parameters.set(name, value);
    await this.files.writeConfig(parameters);
    await this.files.writeHba(this.hbaLines());
  }

  /** The configured pg_hba lines, plus a replication line for the replication user when none is given. */
  private hbaLines(): string[] {
    const lines = [...this.config.postgresql.pg_hba];
    const replicationUser = this.config.postgresql.authentication.replication.username;
    if (!lines.some((line) => /^\s*host\S*\s+replication\s/.test(line))) {
      lines.push(`host replication ${replicationUser} all scram-sha-256`);
    }
    return lines;
  }

  /**
   * Where and how to stream from `connUrl`. A standby cluster's remote primary is streamed from
   * through standby_cluster's `primary_slot_name` only; restore_command applies to every member of a
   * standby cluster and recovery_min_apply_delay to its standby leader. Without `connUrl`, only a
   * standby leader fed by restore_command has an upstream: the archive.
   */
  private upstreamFor(connUrl: string, standby?: StandbyUpstream): UpstreamSettings;
  private upstreamFor(
    connUrl: string | undefined,
    standby?: StandbyUpstream,
  ): UpstreamSettings | undefined;
  private upstreamFor(
    connUrl: string | undefined,
    standby?: StandbyUpstream,
  ): UpstreamSettings | undefined {
    const restoreCommand = standby?.restoreCommand || undefined;
    const archiveCleanupCommand = standby?.archiveCleanupCommand || undefined;
    if (standby?.remote) {
      return {
        connUrl,
        remote: true,
        slotName: standby.primarySlotName || undefined,
        restoreCommand,
        archiveCleanupCommand,
        recoveryMinApplyDelay: standby.recoveryMinApplyDelay || undefined,
      };
    }
    if (connUrl === undefined) return undefined;
    return {
      connUrl,
      slotName: this.deps.cluster.useSlots ? slotNameForMember(this.config.name) : undefined,
      restoreCommand,
      archiveCleanupCommand,
    };
  }

  private async ensureSlot(upstream: UpstreamSettings): Promise<void> {
    if (upstream.slotName === undefined || upstream.remote || upstream.connUrl === undefined)
      return;
    await ensureReplicationSlot(this.config, this.deps.osUser, upstream.connUrl, upstream.slotName);
  }

  /** An unreachable upstream must not keep a replica from following it: PostgreSQL retries by itself. */
  private async ensureSlotIfPossible(upstream: UpstreamSettings): Promise<void> {
    await this.ensureSlot(upstream).catch((error: unknown) => {
      this.logger.warn({ msg: 'could not create the replication slot upstream', err: error });
    });
  }

  private async inRecovery(): Promise<boolean> {
    const { rows } = await this.deps.pool.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r');
    return rows[0].r;
  }

  private superuserUrl(): string {
    const { username, password } = this.config.postgresql.authentication.superuser;
    const url = new URL(this.connUrl);
    url.username = username;
    if (password !== undefined) url.password = password;
    return url.toString();
  }

  private callback(action: CallbackAction): Promise<void> {
    return this.deps.callbacks.enqueue(action, callbackRole(this.deps.machine.role));
  }
}

/**
 * The standby leader of a standby cluster without `host` has no remote to run pg_basebackup against:
 * only a method with `no_leader` (a restore from a backup) can copy it.
 */
function archiveOnlyCopyError(error: unknown): Error {
  if (!(error instanceof ReplicaCreationError) || error.tried.length > 0)
    return error instanceof Error ? error : new Error(String(error));
  return new Error(
    'standby_cluster names no host to copy the remote primary from: the standby leader needs a method of standby_cluster.create_replica_methods with no_leader (a restore from a backup), as basebackup needs a host',
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
