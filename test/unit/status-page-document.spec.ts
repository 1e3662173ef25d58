import { create } from '@bufbuild/protobuf';
import {
  statusPageDocument,
  type ClusterFacts,
  type MemberFacts,
  type StatusPageInput,
} from '../../libs/domain/src/index.ts';
import {
  HistorySchema,
  LeaseRecordSchema,
  MemberStatusSchema,
  XlogSchema,
} from '../../libs/proto/src/index.ts';

const NOW = Date.parse('2026-11-23T10:00:00Z');
const MB = 1024 * 1024;

const facts: ClusterFacts = {
  scope: 'demo',
  viewFresh: true,
  dcsLastSeen: 0,
  leaderName: 'pg1',
  leaseValid: true,
  paused: false,
  failsafeMode: false,
  failsafeMembers: [],
  standbyCluster: false,
  synchronousMode: 'on',
  syncStandbys: ['pg2'],
  leaderWalPosition: 100 * MB,
  maximumLagOnFailover: MB,
  ttlMs: 30_000,
};

function member(
  name: string,
  role: string,
  options: { replayed?: number; replayedAt?: string; ageMs?: number } = {},
): MemberFacts {
  return {
    name,
    statusAgeMs: options.ageMs ?? 400,
    status: create(MemberStatusSchema, {
      name,
      role,
      state: 'running',
      timeline: 3,
      apiUrl: `http://${name}:8008/patroni`,
      ...(role === 'primary'
        ? { xlogLocation: 100 * MB }
        : {
            receiveLsn: options.replayed ?? 100 * MB,
            replayLsn: options.replayed ?? 100 * MB,
            xlogLocation: options.replayed ?? 100 * MB,
            replicationState: 'streaming',
            xlog: create(XlogSchema, { replayedTimestamp: options.replayedAt }),
          }),
    }),
  };
}

function input(overrides: Partial<StatusPageInput> = {}): StatusPageInput {
  return {
    facts,
    members: [
      member('pg1', 'primary'),
      member('pg2', 'replica'),
      member('pg3', 'replica', {
        replayed: 90 * MB,
        replayedAt: '2026-11-23 09:59:48.500000+00',
      }),
    ],
    lease: create(LeaseRecordSchema, { member: 'pg1', term: 4, ttl: 30 }),
    leaseAgeMs: 1_250,
    failover: undefined,
    history: undefined,
    serverState: (name) => ({ maintenance: name === 'pg3', draining: false }),
    nowWallMs: NOW,
    ...overrides,
  };
}

describe('the status page document', () => {
  it('names each role in words, as /cluster names it', () => {
    const document = statusPageDocument(input());
    expect(document.members.map(({ name, role, roleWords }) => [name, role, roleWords])).toEqual([
      ['pg1', 'leader', 'Leader (primary)'],
      ['pg2', 'sync_standby', 'Synchronous standby'],
      ['pg3', 'replica', 'Replica'],
    ]);
    expect(document.syncStandbys).toEqual(['pg2']);
  });

  it('gives WAL positions, lag in bytes and in seconds since the last replayed transaction', () => {
    const [leader, caughtUp, behind] = statusPageDocument(input()).members;
    expect([leader.lsn, leader.lagBytes, leader.lagSeconds]).toEqual(['0/6400000', null, null]);
    expect([caughtUp.replayLsn, caughtUp.lagBytes, caughtUp.lagSeconds]).toEqual([
      '0/6400000',
      0,
      0,
    ]);
    expect([behind.replayLsn, behind.lagBytes, behind.lagSeconds]).toEqual([
      '0/5A00000',
      10 * MB,
      11.5,
    ]);
  });

  it('says how long the lease has left by the reader’s clock, and its term', () => {
    expect(statusPageDocument(input()).lease).toEqual({
      holder: 'pg1',
      term: 4,
      ttlSeconds: 30,
      timeLeftMs: 28_750,
      valid: true,
    });
    expect(statusPageDocument(input({ lease: undefined })).lease).toBeNull();
  });

  it('leaves out a member whose status is older than ttl, as /cluster does', () => {
    const members = [member('pg1', 'primary'), member('pg2', 'replica', { ageMs: 30_001 })];
    expect(statusPageDocument(input({ members })).members.map(({ name }) => name)).toEqual(['pg1']);
  });

  it('carries the age of each status, maintenance and drain', () => {
    const pg3 = statusPageDocument(input()).members[2];
    expect([pg3.statusAgeMs, pg3.maintenance, pg3.draining]).toEqual([400, true, false]);
  });

  it('lists the timelines newest first, with LSNs as PostgreSQL writes them', () => {
    const history = create(HistorySchema, {
      entries: [
        {
          timeline: 1,
          switchLsn: 50 * MB,
          reason: 'no recovery target specified',
          timestamp: '2026-11-23T09:00:00+00:00',
          newLeader: 'pg2',
        },
        {
          timeline: 2,
          switchLsn: 80 * MB,
          reason: 'no recovery target specified',
          timestamp: '2026-11-23T09:30:00+00:00',
          newLeader: 'pg1',
        },
      ],
    });
    expect(
      statusPageDocument(input({ history })).history.map(({ timeline, lsn, newLeader }) => [
        timeline,
        lsn,
        newLeader,
      ]),
    ).toEqual([
      [2, '0/5000000', 'pg1'],
      [1, '0/3200000', 'pg2'],
    ]);
  });

  it('shows a scheduled switchover and pause', () => {
    const document = statusPageDocument(
      input({
        facts: { ...facts, paused: true },
        failover: {
          $typeName: 'natroni.v1.FailoverRequest',
          leader: 'pg1',
          member: 'pg2',
          scheduledAt: '2026-11-23T11:00:00+00:00',
        },
      }),
    );
    expect(document.paused).toBe(true);
    expect(document.scheduledSwitchover).toEqual({
      at: '2026-11-23T11:00:00+00:00',
      from: 'pg1',
      to: 'pg2',
    });
  });
});
