// Run by `deno test` (see test/integration/deno-unit.spec.ts): the pure rules load unchanged under Deno.
import { deepStrictEqual, strictEqual, throws } from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import {
  clusterFactsOf,
  EMPTY_HEALTH_QUERY,
  formatLsn,
  healthVerdict,
  leaderlessSince,
  leaseMarginMs,
  leaseResumeVerdict,
  observerDeadline,
  takeoverDue,
  nameError,
  assertValidName,
  canCreateReplicaWithoutLeader,
  parseByteSize,
  parseLsn,
  parseSchedule,
  patroniTimestamp,
  patroniMetricValues,
  patroniVersionNumber,
  presentMembers,
  statusAgeMs,
  POSTGRES_STATE_VALUES_LINE,
  postgresStateNumberOfLabel,
  unansweredBoundMs,
  withPostgresStateValues,
  timerDelayMs,
  MAX_TIMER_DELAY_MS,
  type ClusterFacts,
  type MemberFacts,
} from '../../libs/domain/src/index.ts';
import {
  cycleReportDue,
  DIVERGED_AFTER_MS,
  followerStep,
  leaderRaceVerdict,
  leaderStep,
  quorumHandover,
  quorumOverlaps,
  quorumStandbyNames,
  quorumTransitions,
  quorumVerdict,
  replicaBootstrapStep,
  standbyClusterOf,
  type QuorumKey,
  type QuorumStandbyNames,
} from '../../libs/domain/src/election/index.ts';
import { DynamicConfigSchema, MemberStatusSchema } from '../../libs/proto/src/index.ts';

const TTL_MS = 30_000;

function facts(overrides: Partial<ClusterFacts> = {}): ClusterFacts {
  return {
    ...clusterFactsOf({
      scope: 'demo',
      nowMs: 10_000,
      confirmedAtMs: 9_500,
      confirmedWallMs: 1_795_430_824_000,
      config: create(DynamicConfigSchema, { ttl: TTL_MS / 1000 }),
      leader: { member: 'pg1', ttl: 30 },
      leaderSeenAtMs: 9_000,
      syncStandby: undefined,
      statusWalPosition: 67_108_864,
      leaderMemberWalPosition: undefined,
      failsafeMembers: [],
    }),
    ...overrides,
  };
}

function primary(): MemberFacts {
  return {
    name: 'pg1',
    statusAgeMs: 100,
    status: create(MemberStatusSchema, {
      name: 'pg1',
      scope: 'demo',
      state: 'running',
      role: 'primary',
      serverVersion: 150018,
      timeline: 1,
      version: '0.1.0',
      xlog: { location: 67_108_864 },
    }),
  };
}

Deno.test('LSNs: text and byte offsets', () => {
  strictEqual(parseLsn('0/3000060'), 0x3000060);
  strictEqual(formatLsn(0x3000060), '0/3000060');
});

Deno.test('names that fit NATS subjects', () => {
  strictEqual(nameError('scope', 'demo-1'), undefined);
  throws(() => assertValidName('scope', 'a.b'));
});

Deno.test('lease margin: a tenth of the ttl, between 0.5 s and 5 s', () => {
  strictEqual(leaseMarginMs(TTL_MS), 3_000);
  strictEqual(leaseMarginMs(1_000), 500);
  strictEqual(leaseMarginMs(600_000), 5_000);
});

Deno.test("Patroni's byte sizes for ?lag=", () => {
  strictEqual(parseByteSize('10MB'), 10 * 1024 ** 2);
  strictEqual(parseByteSize('10mb'), undefined);
});

Deno.test('cluster facts from an observation', () => {
  const cluster = facts();
  strictEqual(cluster.viewFresh, true);
  strictEqual(cluster.leaseValid, true);
  strictEqual(cluster.leaderName, 'pg1');
  strictEqual(cluster.dcsLastSeen, 1_795_430_824);
  strictEqual(cluster.ttlMs, TTL_MS);
  strictEqual(facts({ leaseValid: false }).leaseValid, false);
});

Deno.test('health verdict of the primary', () => {
  strictEqual(healthVerdict('/primary', EMPTY_HEALTH_QUERY, primary(), facts()), 200);
  strictEqual(healthVerdict('/replica', EMPTY_HEALTH_QUERY, primary(), facts()), 503);
});

Deno.test("Patroni's metric values for a primary", () => {
  const values = patroniMetricValues(primary(), facts());
  strictEqual(values['patroni_primary'], 1);
  strictEqual(values['patroni_replica'], 0);
  strictEqual(values['patroni_xlog_location'], 67_108_864);
  strictEqual(values['patroni_postgres_server_version'], 150018);
  strictEqual(values['patroni_postgres_state'], 5);
  strictEqual(values['patroni_cluster_unlocked'], 0);
  strictEqual(patroniVersionNumber('3.0.2'), 30002);
  strictEqual(postgresStateNumberOfLabel('unknown'), -1);
});

Deno.test('failsafe metrics follow failsafe_mode and the failsafe key', () => {
  const off = patroniMetricValues(primary(), facts());
  strictEqual(off['patroni_failsafe_mode_enabled'], 0);
  strictEqual(off['patroni_failsafe_member'], 0);
  const on = patroniMetricValues(
    primary(),
    facts({ failsafeMode: true, failsafeMembers: ['pg1', 'pg2'] }),
  );
  strictEqual(on['patroni_failsafe_mode_enabled'], 1);
  strictEqual(on['patroni_failsafe_member'], 1);
});

Deno.test("the postgres state metric carries Patroni's Values line", () => {
  const help = '# HELP patroni_postgres_state Numeric representation of Postgres state.\n';
  deepStrictEqual(withPostgresStateValues(help).split('\n').slice(0, 2), [
    help.trimEnd(),
    POSTGRES_STATE_VALUES_LINE,
  ]);
  strictEqual(POSTGRES_STATE_VALUES_LINE.startsWith('# Values: 0=initdb, 1=initdb_failed,'), true);
});

Deno.test(
  'schedules: Patroni date forms, timers below 2^31 ms, timestamps as Patroni writes them',
  () => {
    const now = Date.UTC(2026, 11, 3);
    deepStrictEqual(parseSchedule('Tue, 01 Jan 2030 12:00:00 +0100', 'restart', now), {
      ok: true,
      atMs: Date.UTC(2030, 0, 1, 11),
      iso: '2030-01-01T11:00:00+00:00',
    });
    strictEqual(timerDelayMs(now + 365 * 86_400_000, now, Infinity), MAX_TIMER_DELAY_MS);
    strictEqual(patroniTimestamp('2026-12-03T17:51:56.361Z'), '2026-12-03T17:51:56.361000+00:00');
  },
);

Deno.test('the liveness rule: a member whose status is older than ttl has left the cluster', () => {
  const fresh = primary();
  const stale = { ...primary(), name: 'pg2', statusAgeMs: TTL_MS };
  deepStrictEqual(
    presentMembers([fresh, stale], facts()).map((status) => status.name),
    ['pg1'],
  );
  strictEqual(healthVerdict('/health', EMPTY_HEALTH_QUERY, stale, facts()), 503);
  strictEqual(statusAgeMs({ receivedAtMs: 1_000, ageAtReceiptMs: 2_000 }, 4_000), 5_000);
});

Deno.test('a restarted election resumes only its own lease over a running primary', () => {
  const held = { kind: 'held', member: 'pg1', term: 3 } as const;
  deepStrictEqual(
    leaseResumeVerdict({ member: 'pg1', leaderKey: held, postgresRunningAsPrimary: true }),
    { resume: true, term: 3 },
  );
  strictEqual(
    leaseResumeVerdict({
      member: 'pg1',
      leaderKey: { kind: 'undecodable', namesMember: 'pg1' },
      postgresRunningAsPrimary: true,
    }).resume,
    false,
  );
  strictEqual(unansweredBoundMs(10_000), 5_000);
});

Deno.test('the HA steps: the lease holder leads or promotes, a follower follows or rewinds', () => {
  deepStrictEqual(
    leaderStep({ member: 'pg1', term: 7, postgres: { state: 'running', role: 'primary' } }),
    {
      step: 'lead',
      sentence: 'no action: pg1 leads with lease term 7',
    },
  );
  strictEqual(
    leaderStep({ member: 'pg1', term: 7, postgres: { state: 'running', role: 'replica' } }).step,
    'promote',
  );
  const follower = {
    postgres: { state: 'running', role: 'replica', timeline: 1, replicationState: 'stopped' },
    leader: { member: 'pg1', term: 7 },
    leaderConnUrl: 'postgres://pg1',
    offTimelineForMs: undefined,
    followed: { member: 'pg1', term: 7 },
  };
  deepStrictEqual(followerStep(follower), {
    step: 'none',
    sentence: 'following pg1, lease term 7',
  });
  strictEqual(followerStep({ ...follower, offTimelineForMs: DIVERGED_AFTER_MS }).step, 'rewind');
  strictEqual(followerStep({ ...follower, leaderConnUrl: undefined }).step, 'await_leader_status');
});

Deno.test(
  'a standby cluster: its lease holder follows the remote primary, the others cascade',
  () => {
    const standby = standbyClusterOf({ host: '127.0.0.1', port: 6001 });
    const postgres = { state: 'running', role: 'replica' };
    strictEqual(leaderStep({ member: 'pg1', term: 3, postgres, standby }).step, 'follow_remote');
    deepStrictEqual(
      leaderStep({ member: 'pg1', term: 3, postgres, standby, followsRemote: true }),
      {
        step: 'lead_standby',
        sentence:
          'no action: pg1 is the standby leader with lease term 3, following remote primary 127.0.0.1:6001',
      },
    );
    const cascade = {
      postgres: { ...postgres, timeline: 1, replicationState: 'streaming' },
      leader: { member: 'pg1', term: 3 },
      leaderConnUrl: 'postgres://pg1',
      offTimelineForMs: undefined,
      followed: { member: 'pg1', term: 3, cascading: true },
      standby,
    };
    strictEqual(followerStep(cascade).step, 'none');
    strictEqual(followerStep({ ...cascade, standby: undefined }).step, 'follow');
  },
);

Deno.test('the leader race: a replica behind a peer does not race', () => {
  const participant = (name: string, walPosition: number) => ({
    name,
    walPosition,
    timeline: 2,
    runningPrimary: false,
    noFailover: false,
    failoverPriority: 1,
    inMaintenance: false,
  });
  deepStrictEqual(
    leaderRaceVerdict({
      me: { ...participant('pg2', 900), running: true },
      peers: [participant('pg3', 1000)],
      paused: false,
      leaderWalPosition: 1000,
      maximumLagOnFailover: 1_048_576,
      clusterTimeline: undefined,
      syncMembers: undefined,
      quorum: undefined,
      formerLeader: 'pg1',
      manualCandidate: undefined,
      manualCandidateAvailable: false,
    }),
    { race: false, reason: 'pg3 has a higher wal position (1000 > 900)' },
  );
});

Deno.test('a cycle sentence is logged when it changes, and again every few minutes', () => {
  const last = { sentence: 'no action: pg1 leads with lease term 7', loggedAt: 0 };
  strictEqual(cycleReportDue(last, last.sentence, 1_000), false);
  strictEqual(cycleReportDue(last, 'following pg2, lease term 8', 1_000), true);
  strictEqual(cycleReportDue(last, last.sentence, 180_000), true);
});

Deno.test('the lease-timing rules, each written once', () => {
  strictEqual(observerDeadline(2_000, 10_000), 2_000 + 10_000 - leaseMarginMs(10_000));
  strictEqual(takeoverDue(1_000, 10_000, 10_999), false);
  strictEqual(takeoverDue(1_000, 10_000, 11_000), true);
  strictEqual(leaderlessSince(5_000, false, 10_000), 15_000);
});

Deno.test('quorum commit: every prefix of the transitions keeps the overlap rule', () => {
  const pool = ['pg2', 'pg3', 'pg4'];
  for (let bits = 0; bits < 1 << 9; bits++) {
    const pick = (shift: number) => pool.filter((_, index) => (bits >> (shift + index)) & 1);
    const voters = pick(0);
    const names = pick(3);
    const active = pick(6);
    let key: QuorumKey = { leader: 'pg1', quorum: Math.max(0, voters.length - 1), voters };
    let standbyNames: QuorumStandbyNames = { numsync: Math.min(1, names.length), names };
    for (const transition of quorumTransitions({
      me: 'pg1',
      key,
      standbyNames,
      confirmed: 0,
      active,
      wanted: 1,
    })) {
      if (transition.kind === 'sync_key') key = transition;
      else standbyNames = transition;
      strictEqual(
        quorumOverlaps(key, standbyNames),
        true,
        JSON.stringify({ bits, key, standbyNames }),
      );
    }
  }
  strictEqual(
    quorumStandbyNames({ numsync: 2, names: ['pg3', 'pg2'] }, undefined),
    'ANY 2 ("pg2","pg3")',
  );
});

Deno.test('quorum commit: the handover before a promotion keeps the overlap rule', () => {
  const pool = ['pg1', 'pg2', 'pg4'];
  for (let bits = 1; bits < 1 << 3; bits++) {
    const voters = pool.filter((_, index) => (bits >> index) & 1);
    for (let quorum = 0; quorum < voters.length; quorum++) {
      const handover = quorumHandover({ leader: 'pg3', quorum, voters }, 'pg1');
      strictEqual(handover?.key.leader, 'pg1', JSON.stringify({ voters, quorum }));
      strictEqual(handover.key.voters.includes('pg3'), true);
      strictEqual(quorumOverlaps(handover.key, handover.standbyNames), true);
    }
  }
});

Deno.test('quorum commit: a leader needs quorum votes from voters not ahead', () => {
  const member = (name: string, walPosition: number) => ({
    name,
    walPosition,
    timeline: 2,
    runningPrimary: false,
    noFailover: false,
    failoverPriority: 1,
    inMaintenance: false,
  });
  const key: QuorumKey = { leader: 'pg1', quorum: 1, voters: ['pg2', 'pg3'] };
  deepStrictEqual(quorumVerdict(member('pg2', 10), [member('pg3', 9)], key), { race: true });
  strictEqual(quorumVerdict(member('pg2', 10), [], key).race, false);
  strictEqual(quorumVerdict(member('pg4', 10), [member('pg3', 9)], key).race, false);
});

Deno.test('bootstrap (without leader): no leader and a no_leader method, else wait', () => {
  const options = { restore: { command: 'restore-backup', no_leader: true } };
  const canCreateWithoutLeader = canCreateReplicaWithoutLeader(['basebackup', 'restore'], options);
  strictEqual(canCreateWithoutLeader, true);
  strictEqual(
    canCreateReplicaWithoutLeader(['basebackup'], { basebackup: { no_leader: true } }),
    false,
  );
  const facts = {
    leader: undefined,
    bootstrapping: false,
    canCreateWithoutLeader,
    standby: false,
    paused: false,
  };
  strictEqual(replicaBootstrapStep(facts).step, 'bootstrap_without_leader');
  deepStrictEqual(replicaBootstrapStep({ ...facts, bootstrapping: true }), {
    step: 'wait',
    sentence: 'waiting for leader to bootstrap',
  });
  deepStrictEqual(
    replicaBootstrapStep({ ...facts, leader: { member: 'pg1', running: false, leaseLive: true } }),
    { step: 'wait', sentence: 'waiting for leader to bootstrap', awaited: 'pg1' },
  );
});
