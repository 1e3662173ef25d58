import {
  chooseSyncStandbys,
  failsafeEndpointUrl,
  failsafeRaceBlock,
  failsafeRoundDueAt,
  failsafeTopology,
  sameFailsafeTopology,
  confirmedSyncStandbys,
  haTimings,
  STRICT_SYNC_PLACEHOLDER,
  synchronousStandbyNames,
  type SyncCandidate,
  leaderRaceVerdict,
  scheduleStep,
  switchoverCandidates,
  type LeaderRaceFacts,
  type RaceParticipant,
  leaderStep,
  followerStep,
  offLeaderTimeline,
  DIVERGED_AFTER_MS,
  type FollowerFacts,
  cycleReportDue,
  CYCLE_REPORT_REPEAT_MS,
  standbyClusterOf,
  remotePrimaryUrl,
  replicaBootstrapStep,
  type ReplicaBootstrapFacts,
  remoteSourceName,
} from '../../libs/domain/src/election/index.ts';

function participant(name: string, walPosition: number, extra: Partial<RaceParticipant> = {}) {
  return {
    name,
    walPosition,
    timeline: 2,
    runningPrimary: false,
    noFailover: false,
    failoverPriority: 1,
    inMaintenance: false,
    running: true,
    ...extra,
  };
}

function race(extra: Partial<LeaderRaceFacts> = {}): LeaderRaceFacts {
  return {
    me: participant('pg2', 1000),
    peers: [participant('pg3', 900)],
    paused: false,
    leaderWalPosition: 1000,
    maximumLagOnFailover: 1_048_576,
    clusterTimeline: 2,
    syncMembers: undefined,
    quorum: undefined,
    formerLeader: 'pg1',
    manualCandidate: undefined,
    manualCandidateAvailable: false,
    ...extra,
  };
}

describe('haTimings', () => {
  test("natroni's defaults", () => {
    expect(haTimings(undefined)).toEqual({
      ttlMs: 10_000,
      loopWaitMs: 1_000,
      retryTimeoutMs: 4_000,
      maximumLagOnFailover: 1_048_576,
    });
  });

  test('loop_wait, then retry_timeout, give way until loop_wait + 2 × retry_timeout <= ttl', () => {
    expect(haTimings({ ttl: 10, loopWait: 5, retryTimeout: 4 })).toMatchObject({
      loopWaitMs: 2_000,
      retryTimeoutMs: 4_000,
    });
    expect(haTimings({ ttl: 10, loopWait: 1, retryTimeout: 9 })).toMatchObject({
      loopWaitMs: 1_000,
      retryTimeoutMs: 4_000,
    });
    expect(haTimings({ ttl: 1 })).toMatchObject({ ttlMs: 4_000 });
  });
});

describe('leaderRaceVerdict', () => {
  test('the most advanced healthy replica races', () => {
    expect(leaderRaceVerdict(race())).toEqual({ race: true });
  });

  test.each<[string, Partial<LeaderRaceFacts>, RegExp]>([
    ['paused', { paused: true }, /paused/],
    ['nofailover', { me: participant('pg2', 1000, { noFailover: true }) }, /nofailover/],
    ['in maintenance', { me: participant('pg2', 1000, { inMaintenance: true }) }, /maintenance/],
    ['not running', { me: { ...participant('pg2', 1000), running: false } }, /not running/],
    ['lagging', { leaderWalPosition: 1000 + 2_000_000 }, /exceeds maximum replication lag/],
    [
      'on an old timeline',
      { me: participant('pg2', 1000, { timeline: 1 }) },
      /timeline 1 is behind/,
    ],
    ['behind a peer', { peers: [participant('pg3', 1001)] }, /pg3 has a higher wal position/],
    [
      'a primary still alive',
      { peers: [participant('pg1', 0, { runningPrimary: true })] },
      /primary \(pg1\) is still alive/,
    ],
    [
      'an equal peer with a higher priority',
      { peers: [participant('pg3', 1000, { failoverPriority: 2 })] },
      /pg3 has equally tolerable WAL position and priority 2/,
    ],
    ['not synchronous', { syncMembers: ['pg1', 'pg3'] }, /not a synchronous standby/],
    [
      'leaving it to a named candidate',
      { manualCandidate: 'pg3', manualCandidateAvailable: true },
      /names pg3/,
    ],
  ])('does not race when %s', (_case, facts, reason) => {
    const verdict = leaderRaceVerdict(race(facts));
    expect(verdict.race).toBe(false);
    if (!verdict.race) expect(verdict.reason).toMatch(reason);
  });

  test('a peer that is nofailover, or outside the synchronous set, is no rival', () => {
    expect(
      leaderRaceVerdict(race({ peers: [participant('pg3', 5000, { noFailover: true })] })),
    ).toEqual({ race: true });
    expect(
      leaderRaceVerdict(race({ syncMembers: ['pg1', 'pg2'], peers: [participant('pg3', 5000)] })),
    ).toEqual({ race: true });
  });

  test('the named candidate races even when lagging', () => {
    expect(
      leaderRaceVerdict(race({ manualCandidate: 'pg2', leaderWalPosition: 10_000_000 })),
    ).toEqual({
      race: true,
    });
  });
});

describe('switchover', () => {
  const facts = {
    leader: 'pg1',
    candidate: undefined,
    peers: [
      participant('pg2', 900),
      participant('pg3', 1000),
      participant('pg4', 1000, { noFailover: true }),
    ],
    leaderWalPosition: 1000,
    maximumLagOnFailover: 1_048_576,
    syncStandbys: undefined,
  };

  test('candidates are the healthy peers, most advanced first', () => {
    expect(switchoverCandidates(facts).map((peer) => peer.name)).toEqual(['pg3', 'pg2']);
    expect(switchoverCandidates({ ...facts, candidate: 'pg2' }).map((peer) => peer.name)).toEqual([
      'pg2',
    ]);
    expect(
      switchoverCandidates({ ...facts, syncStandbys: ['pg2'] }).map((peer) => peer.name),
    ).toEqual(['pg2']);
    expect(switchoverCandidates({ ...facts, leaderWalPosition: 5_000_000 })).toEqual([]);
  });

  test('a scheduled switchover waits, acts, or is dropped when stale', () => {
    expect(scheduleStep(10_000, 4_000, 1_000)).toEqual({ step: 'wait', dueInMs: 6_000 });
    expect(scheduleStep(10_000, 10_500, 1_000)).toEqual({ step: 'act' });
    expect(scheduleStep(10_000, 12_000, 1_000)).toEqual({ step: 'stale' });
  });
});

describe('synchronous standbys', () => {
  const candidate = (name: string, extra: Partial<SyncCandidate> = {}): SyncCandidate => ({
    name,
    streaming: true,
    syncState: 'async',
    walPosition: 100,
    noSync: false,
    syncPriority: 1,
    ...extra,
  });

  test('streaming standbys without nosync, by priority, then already synchronous, then WAL', () => {
    const candidates = [
      candidate('pg2', { walPosition: 200 }),
      candidate('pg3', { syncState: 'sync' }),
      candidate('pg4', { noSync: true, walPosition: 900 }),
      candidate('pg5', { streaming: false, walPosition: 900 }),
    ];
    expect(chooseSyncStandbys(candidates, 1)).toEqual(['pg3']);
    expect(chooseSyncStandbys(candidates, 2)).toEqual(['pg2', 'pg3']);
    expect(chooseSyncStandbys([...candidates, candidate('pg6', { syncPriority: 5 })], 1)).toEqual([
      'pg6',
    ]);
  });

  test('synchronous_standby_names as PostgreSQL reads it', () => {
    expect(synchronousStandbyNames(['pg2'], 1, false)).toBe('"pg2"');
    expect(synchronousStandbyNames(['pg3', 'pg2'], 2, false)).toBe('2 ("pg2","pg3")');
    expect(synchronousStandbyNames([], 1, false)).toBe('');
    expect(synchronousStandbyNames([], 1, true)).toBe(`"${STRICT_SYNC_PLACEHOLDER}"`);
  });

  test('only the standbys PostgreSQL reports as sync are published', () => {
    expect(
      confirmedSyncStandbys(
        ['pg2', 'pg3'],
        [candidate('pg2', { syncState: 'sync' }), candidate('pg3')],
      ),
    ).toEqual(['pg2']);
  });
});

describe('failsafe mode', () => {
  test('the failsafe key names every member with an api_url, in name order', () => {
    const topology = failsafeTopology([
      ['pg3', 'http://127.0.0.1:8010/patroni'],
      ['pg1', 'http://127.0.0.1:8008/patroni'],
      ['pg2', ''],
    ]);
    expect(Object.entries(topology)).toEqual([
      ['pg1', 'http://127.0.0.1:8008/patroni'],
      ['pg3', 'http://127.0.0.1:8010/patroni'],
    ]);
    expect(sameFailsafeTopology(topology, { ...topology })).toBe(true);
    expect(sameFailsafeTopology(topology, { pg1: 'http://127.0.0.1:8008/patroni' })).toBe(false);
    expect(
      sameFailsafeTopology(topology, { ...topology, pg3: 'http://127.0.0.1:9999/patroni' }),
    ).toBe(false);
  });

  test("the notice goes to /failsafe at the member's api_url origin", () => {
    expect(failsafeEndpointUrl('http://127.0.0.1:8009/patroni')).toBe(
      'http://127.0.0.1:8009/failsafe',
    );
    expect(failsafeEndpointUrl('https://db-2.example:8008/patroni')).toBe(
      'https://db-2.example:8008/failsafe',
    );
    expect(failsafeEndpointUrl('not a url')).toBeUndefined();
  });

  test('only members of a non-empty failsafe key may race while failsafe mode is on', () => {
    const topology = { pg1: 'http://a/patroni', pg2: 'http://b/patroni' };
    expect(failsafeRaceBlock(true, topology, 'pg2')).toBeUndefined();
    expect(failsafeRaceBlock(true, topology, 'pg3')).toMatch(/does not name pg3/);
    expect(failsafeRaceBlock(false, topology, 'pg3')).toBeUndefined();
    expect(failsafeRaceBlock(true, {}, 'pg3')).toBeUndefined();
    expect(failsafeRaceBlock(true, undefined, 'pg3')).toBeUndefined();
  });

  test('a round starts early enough to end before the deadline', () => {
    expect(failsafeRoundDueAt(10_000, 3_000)).toBe(7_000);
  });
});

describe('leaderStep', () => {
  const step = (state: string, role: string) =>
    leaderStep({ member: 'pg1', term: 7, postgres: { state, role } });

  test('a running primary keeps leading, and says so', () => {
    expect(step('running', 'primary')).toEqual({
      step: 'lead',
      sentence: 'no action: pg1 leads with lease term 7',
    });
  });

  test('a running replica holding the lease is promoted', () => {
    expect(step('running', 'replica')).toEqual({
      step: 'promote',
      sentence: 'promoting pg1: it holds lease term 7 and runs as replica',
    });
  });

  test('a starting or stopping PostgreSQL is waited for', () => {
    expect(step('starting', 'primary').step).toBe('wait');
    expect(step('stopping', 'replica')).toEqual({
      step: 'wait',
      sentence: 'waiting for PostgreSQL of pg1 (stopping) under lease term 7',
    });
  });

  test('a stopped or crashed PostgreSQL is started as primary', () => {
    expect(step('crashed', 'primary')).toEqual({
      step: 'start_primary',
      sentence: 'starting primary after failure: pg1, lease term 7',
    });
    expect(step('stopped', 'replica').step).toBe('start_primary');
  });
});

describe('followerStep', () => {
  const replica = {
    state: 'running',
    role: 'replica',
    timeline: 2,
    replicationState: 'streaming',
  };
  const facts = (extra: Partial<FollowerFacts> = {}): FollowerFacts => ({
    postgres: replica,
    leader: { member: 'pg1', term: 7 },
    leaderConnUrl: 'postgres://pg1',
    offTimelineForMs: undefined,
    followed: { member: 'pg1', term: 7 },
    ...extra,
  });

  test('a replica already following the lease holder does nothing, and says whom it follows', () => {
    expect(followerStep(facts())).toEqual({
      step: 'none',
      sentence: 'following pg1, lease term 7',
    });
  });

  test('a new leader or term is followed; a stopped PostgreSQL is started as its replica', () => {
    expect(followerStep(facts({ leader: { member: 'pg3', term: 8 } }))).toEqual({
      step: 'follow',
      sentence: 'following pg3: lease term 8, re-pointing the replica',
    });
    expect(
      followerStep(facts({ postgres: { ...replica, state: 'stopped' }, followed: undefined })),
    ).toEqual({
      step: 'follow',
      sentence: 'following pg1: lease term 7, starting PostgreSQL as its replica',
    });
  });

  test('a running primary without the lease is demoted', () => {
    expect(followerStep(facts({ postgres: { ...replica, role: 'primary' } }))).toEqual({
      step: 'demote',
      sentence:
        'demoting self because I do not have the lock and I was a leader: pg1 holds lease term 7',
    });
  });

  test('nothing is asked before the leader publishes its connection URL', () => {
    expect(followerStep(facts({ leaderConnUrl: undefined }))).toEqual({
      step: 'await_leader_status',
      sentence: 'waiting for pg1 (lease term 7) to publish its status',
    });
  });

  test(`a replica off the leader's timeline is rewound after ${DIVERGED_AFTER_MS} ms, not before`, () => {
    const behind = { ...replica, replicationState: 'stopped', timeline: 1 };
    expect(offLeaderTimeline(behind, 2)).toBe(true);
    expect(offLeaderTimeline(replica, 3)).toBe(false);
    expect(offLeaderTimeline(behind, 1)).toBe(false);
    expect(
      followerStep(facts({ postgres: behind, offTimelineForMs: DIVERGED_AFTER_MS - 1 })).step,
    ).toBe('none');
    expect(followerStep(facts({ postgres: behind, offTimelineForMs: DIVERGED_AFTER_MS }))).toEqual({
      step: 'rewind',
      sentence: 'running pg_rewind from pg1: timeline 1 diverged',
    });
  });
});

describe('cycleReportDue', () => {
  const last = { sentence: 'following pg1, lease term 7', loggedAt: 1_000 };

  test('the first sentence and every change are logged at once', () => {
    expect(cycleReportDue(undefined, 'following pg1, lease term 7', 0)).toBe(true);
    expect(cycleReportDue(last, 'following pg3, lease term 8', 1_001)).toBe(true);
  });

  test(`the same sentence is logged again after ${CYCLE_REPORT_REPEAT_MS} ms, not before`, () => {
    expect(cycleReportDue(last, last.sentence, 1_000 + CYCLE_REPORT_REPEAT_MS - 1)).toBe(false);
    expect(cycleReportDue(last, last.sentence, 1_000 + CYCLE_REPORT_REPEAT_MS)).toBe(true);
  });
});

describe('standby cluster', () => {
  const standby = standbyClusterOf({
    host: '10.0.0.5',
    port: 5433,
    primary_slot_name: 'standby_dc2',
    restore_command: 'cp /archive/%f %p',
  });

  test('standby_cluster with a host names the remote primary', () => {
    expect(standby).toEqual({
      hosts: ['10.0.0.5'],
      port: 5433,
      primarySlotName: 'standby_dc2',
      restoreCommand: 'cp /archive/%f %p',
      archiveCleanupCommand: undefined,
      recoveryMinApplyDelay: undefined,
      createReplicaMethods: [],
    });
    expect(remotePrimaryUrl(standby!)).toBe('postgres://10.0.0.5:5433/postgres');
    expect(remoteSourceName(standby!)).toBe('remote primary 10.0.0.5:5433');
    expect(standbyClusterOf({ host: 'dc1' })?.port).toBe(5432);
    expect(remotePrimaryUrl(standbyClusterOf({ host: '::1', port: 6000 })!)).toBe(
      'postgres://[::1]:6000/postgres',
    );
  });

  test('as Patroni, host, port or restore_command makes a standby cluster; nothing else does', () => {
    expect(standbyClusterOf({ recovery_min_apply_delay: 300 })).toBeUndefined();
    expect(standbyClusterOf({ primary_slot_name: 'dr', create_replica_methods: ['x'] })).toBe(
      undefined,
    );
    expect(standbyClusterOf({ host: '', restore_command: '' })).toBeUndefined();
    expect(standbyClusterOf({})).toBeUndefined();
    expect(standbyClusterOf(undefined)).toBeUndefined();
    expect(standbyClusterOf({ port: 5433 })).toMatchObject({ hosts: [], port: 5433 });
    const archiveOnly = standbyClusterOf({ restore_command: 'cp /archive/%f %p' })!;
    expect(archiveOnly.hosts).toEqual([]);
    expect(remotePrimaryUrl(archiveOnly)).toBeUndefined();
    expect(remoteSourceName(archiveOnly)).toBe('the archive through restore_command');
  });

  test('several comma-separated hosts: libpq tries each, with target_session_attrs=read-write', () => {
    const spread = standbyClusterOf({ host: 'dc1-a, dc1-b,,::1', port: 5433 })!;
    expect(spread.hosts).toEqual(['dc1-a', 'dc1-b', '::1']);
    expect(remotePrimaryUrl(spread)).toBe(
      'postgres://dc1-a:5433,dc1-b:5433,[::1]:5433/postgres?target_session_attrs=read-write',
    );
    expect(remoteSourceName(spread)).toBe(
      'remote primary among dc1-a:5433, dc1-b:5433, [::1]:5433',
    );
  });

  test("standby_cluster's create_replica_methods are kept in order; anything but names is dropped", () => {
    expect(
      standbyClusterOf({ host: 'dc1', create_replica_methods: ['restore', 'basebackup', 3, ''] })
        ?.createReplicaMethods,
    ).toEqual(['restore', 'basebackup']);
    expect(
      standbyClusterOf({ host: 'dc1', create_replica_methods: 'restore' })?.createReplicaMethods,
    ).toEqual([]);
  });

  const leader = (state: string, role: string, followsRemote = false) =>
    leaderStep({ member: 'pg1', term: 7, postgres: { state, role }, standby, followsRemote });

  test('the lease holder of a standby cluster follows the remote primary instead of promoting', () => {
    expect(leader('running', 'replica')).toEqual({
      step: 'follow_remote',
      sentence:
        'promoted pg1 to a standby leader: it holds lease term 7; following remote primary 10.0.0.5:5433',
    });
    expect(leader('stopped', 'replica').step).toBe('follow_remote');
    expect(leader('crashed', 'primary').step).toBe('follow_remote');
  });

  test('a standby leader already following the remote primary does nothing, and says so', () => {
    expect(leader('running', 'replica', true)).toEqual({
      step: 'lead_standby',
      sentence:
        'no action: pg1 is the standby leader with lease term 7, following remote primary 10.0.0.5:5433',
    });
  });

  test('a primary in a standby cluster is demoted to follow the remote primary', () => {
    expect(leader('running', 'primary', true)).toEqual({
      step: 'follow_remote',
      sentence:
        'demoting pg1: cannot be a real primary in standby cluster; following remote primary 10.0.0.5:5433, lease term 7',
    });
  });

  test('a starting standby leader is waited for', () => {
    expect(leader('starting', 'replica').step).toBe('wait');
  });

  test('without standby_cluster the same lease holder is promoted: removing it promotes the cluster', () => {
    expect(
      leaderStep({ member: 'pg1', term: 7, postgres: { state: 'running', role: 'replica' } }).step,
    ).toBe('promote');
  });

  const cascade = (extra: Partial<FollowerFacts> = {}): FollowerFacts => ({
    postgres: { state: 'running', role: 'replica', timeline: 1, replicationState: 'streaming' },
    leader: { member: 'pg1', term: 7 },
    leaderConnUrl: 'postgres://pg1',
    offTimelineForMs: undefined,
    followed: undefined,
    standby,
    ...extra,
  });

  test('the other members cascade from the standby leader', () => {
    expect(followerStep(cascade())).toEqual({
      step: 'follow',
      sentence:
        'following standby leader pg1: lease term 7, cascading from remote primary 10.0.0.5:5433, re-pointing the replica',
    });
    expect(
      followerStep(cascade({ followed: { member: 'pg1', term: 7, cascading: true } })),
    ).toEqual({
      step: 'none',
      sentence:
        'following standby leader pg1: lease term 7, cascading from remote primary 10.0.0.5:5433',
    });
  });

  test('a replica is re-pointed when its cluster stops or starts being a standby cluster', () => {
    const followedAsCascade = { member: 'pg1', term: 7, cascading: true };
    expect(followerStep(cascade({ standby: undefined, followed: followedAsCascade })).step).toBe(
      'follow',
    );
    expect(followerStep(cascade({ followed: { member: 'pg1', term: 7 } })).step).toBe('follow');
  });
});

describe('replicaBootstrapStep: an empty data directory once the cluster is initialized', () => {
  const facts = (extra: Partial<ReplicaBootstrapFacts> = {}): ReplicaBootstrapFacts => ({
    leader: undefined,
    bootstrapping: false,
    canCreateWithoutLeader: true,
    standby: false,
    paused: false,
    ...extra,
  });
  const leader = (running: boolean, leaseLive: boolean) => ({ member: 'pg1', running, leaseLive });

  test('a running leader is copied, whatever the methods, even once its lease ran out', () => {
    expect(replicaBootstrapStep(facts({ leader: leader(true, true) }))).toEqual({
      step: 'clone_from_leader',
      leader: 'pg1',
    });
    expect(
      replicaBootstrapStep(facts({ leader: leader(true, false), canCreateWithoutLeader: false })),
    ).toEqual({ step: 'clone_from_leader', leader: 'pg1' });
  });

  test('a leader whose lease is live but whose PostgreSQL does not run yet is waited for', () => {
    expect(replicaBootstrapStep(facts({ leader: leader(false, true) }))).toEqual({
      step: 'wait',
      sentence: 'waiting for leader to bootstrap',
      awaited: 'pg1',
    });
  });

  test('no leader and a no_leader method: bootstrap (without leader)', () => {
    const expected = { step: 'bootstrap_without_leader', sentence: 'bootstrap (without leader)' };
    expect(replicaBootstrapStep(facts())).toEqual(expected);
    expect(replicaBootstrapStep(facts({ leader: leader(false, false) }))).toEqual(expected);
  });

  test('otherwise it waits for a leader', () => {
    const waiting = { step: 'wait', sentence: 'waiting for leader to bootstrap' };
    expect(replicaBootstrapStep(facts({ canCreateWithoutLeader: false }))).toEqual(waiting);
    // Another member's bootstrap may still create the cluster.
    expect(replicaBootstrapStep(facts({ bootstrapping: true }))).toEqual(waiting);
    expect(replicaBootstrapStep(facts({ paused: true }))).toEqual(waiting);
    expect(
      replicaBootstrapStep(facts({ leader: leader(false, false), canCreateWithoutLeader: false })),
    ).toEqual({ ...waiting, awaited: 'pg1' });
    expect(replicaBootstrapStep(facts({ standby: true }))).toEqual({
      step: 'wait',
      sentence: 'waiting for standby_leader to bootstrap',
    });
  });
});
