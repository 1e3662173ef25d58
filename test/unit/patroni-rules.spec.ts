import { create } from '@bufbuild/protobuf';
import {
  decideFailover,
  offeredCandidates,
  decideRestart,
  healthVerdict,
  hostAndPort,
  maxLagFromQuery,
  parseByteSize,
  parseHealthQuery,
  parseSchedule,
  parseSeconds,
  patchConfig,
  readJsonBody,
  historyDocument,
  type ClusterFacts,
  type FailoverContext,
  type MemberFacts,
} from '../../libs/domain/src/index.ts';
import { HistorySchema, MemberStatusSchema } from '../../libs/proto/src/index.ts';

const NOW = Date.parse('2026-11-23T10:00:00Z');

describe("Patroni's parse_int for ?lag=", () => {
  it.each([
    ['1048576', 1048576],
    ['1024kB', 1048576],
    ['10MB', 10 * 1024 ** 2],
    ['1GB', 1024 ** 3],
    ['1TB', 1024 ** 4],
    ['1.5MB', 1.5 * 1024 ** 2],
    ['0x10', 16],
    ['010', 8],
    [' 5 B ', 5],
  ])('%s → %d bytes', (text, bytes) => expect(parseByteSize(text)).toBe(bytes));

  it.each(['1M', '10mb', 'MB', '', 'abc', '1 parsec'])('%s is unparsable: no limit', (text) => {
    expect(parseByteSize(text)).toBeUndefined();
    expect(maxLagFromQuery(text)).toBe(Number.POSITIVE_INFINITY);
  });

  it('reads seconds with units', () => {
    expect(parseSeconds('1min')).toBe(60);
    expect(parseSeconds(30)).toBe(30);
    expect(parseSeconds('0s')).toBe(0);
    expect(parseSeconds('5 lightyears')).toBeUndefined();
  });
});

describe('health verdicts', () => {
  const cluster: ClusterFacts = {
    scope: 'demo',
    viewFresh: true,
    dcsLastSeen: 0,
    leaderName: 'pg1',
    leaseValid: true,
    paused: false,
    failsafeMode: false,
    failsafeMembers: [],
    standbyCluster: false,
    synchronousMode: 'off',
    syncStandbys: [],
    leaderWalPosition: 100 * 1024 * 1024,
    maximumLagOnFailover: 1048576,
    ttlMs: 30_000,
  };
  const member = (name: string, role: string, replayed = 100 * 1024 * 1024): MemberFacts => ({
    name,
    statusAgeMs: 100,
    status: create(MemberStatusSchema, {
      name,
      role,
      state: 'running',
      xlog:
        role === 'primary'
          ? { location: replayed }
          : { receivedLocation: replayed, replayedLocation: replayed },
    }),
  });
  const verdict = (
    path: string,
    facts: MemberFacts,
    overrides: Partial<ClusterFacts> = {},
  ): number =>
    healthVerdict(path.split('?')[0] ?? '', parseHealthQuery(path.split('?')[1] ?? ''), facts, {
      ...cluster,
      ...overrides,
    });

  it('/primary needs both the valid lease and a running primary', () => {
    expect(verdict('/', member('pg1', 'primary'))).toBe(200);
    expect(verdict('/primary', member('pg1', 'replica'))).toBe(503);
    expect(verdict('/primary', member('pg2', 'primary'))).toBe(503);
    expect(verdict('/primary', member('pg1', 'primary'), { leaseValid: false })).toBe(503);
  });

  it('a status older than ttl is unknown', () => {
    expect(verdict('/replica', { ...member('pg2', 'replica'), statusAgeMs: 31_000 })).toBe(503);
    expect(verdict('/health', { ...member('pg2', 'replica'), statusAgeMs: 31_000 })).toBe(503);
  });

  it('lag, sync and the expired view', () => {
    const lagging = member('pg2', 'replica', 90 * 1024 * 1024);
    expect(verdict('/replica?lag=1MB', lagging)).toBe(503);
    expect(verdict('/replica?lag=1M', lagging)).toBe(200);
    expect(verdict('/async', member('pg2', 'replica'))).toBe(200);
    expect(verdict('/async', member('pg2', 'replica'), { viewFresh: false })).toBe(503);
    expect(verdict('/replica', member('pg2', 'replica'), { viewFresh: false })).toBe(200);
    expect(
      verdict('/sync', member('pg2', 'replica'), { synchronousMode: 'on', syncStandbys: ['pg2'] }),
    ).toBe(200);
    expect(
      verdict('/primary', member('pg1', 'primary'), {
        viewFresh: false,
        paused: true,
        leaseValid: false,
      }),
    ).toBe(200);
  });
});

describe('switchover and failover decisions', () => {
  const context: FailoverContext = {
    paused: false,
    nowMs: NOW,
    leaderName: 'pg1',
    synchronousMode: 'off',
    syncStandbys: [],
    members: [
      { name: 'pg1', hasApiUrl: true, reachable: true, noFailover: false },
      { name: 'pg2', hasApiUrl: true, reachable: true, noFailover: false },
    ],
  };

  it('converts a failover naming a leader into a switchover', () => {
    expect(decideFailover('failover', { leader: 'pg1', candidate: 'pg2' }, context)).toEqual({
      ok: true,
      action: 'switchover',
      leader: 'pg1',
      candidate: 'pg2',
    });
  });

  it('checks the schedule before the same-member rule', () => {
    expect(
      decideFailover('switchover', { leader: 'pg1', candidate: 'pg1', scheduled_at: 'x' }, context),
    ).toMatchObject({ code: 422 });
  });

  it('refuses when the only candidate is not reachable', () => {
    const unreachable = {
      ...context,
      members: [context.members[0]!, { ...context.members[1]!, reachable: false }],
    };
    expect(decideFailover('switchover', { leader: 'pg1' }, unreachable)).toMatchObject({
      code: 412,
      message: 'switchover is not possible: no good candidates have been found',
    });
  });
});

describe('switchover candidates under quorum commit', () => {
  const quorum: FailoverContext = {
    paused: false,
    nowMs: NOW,
    leaderName: 'pg1',
    synchronousMode: 'quorum',
    syncStandbys: ['pg2'],
    members: ['pg1', 'pg2', 'pg3'].map((name) => ({
      name,
      hasApiUrl: true,
      reachable: true,
      noFailover: false,
    })),
  };

  it('takes a switchover only to one of the sync key voters', () => {
    expect(decideFailover('switchover', { leader: 'pg1', candidate: 'pg3' }, quorum)).toEqual({
      ok: false,
      code: 412,
      message: 'candidate name does not match with sync_standby',
    });
    expect(decideFailover('switchover', { leader: 'pg1', candidate: 'pg2' }, quorum)).toMatchObject(
      { ok: true, candidate: 'pg2' },
    );
    expect(
      decideFailover('switchover', { leader: 'pg1' }, { ...quorum, syncStandbys: [] }),
    ).toMatchObject({
      code: 412,
      message: 'switchover is not possible: can not find sync_standby',
    });
  });

  it('takes a failover to any healthy member', () => {
    expect(decideFailover('failover', { candidate: 'pg3' }, quorum)).toMatchObject({
      ok: true,
      action: 'failover',
      candidate: 'pg3',
    });
  });

  it('offers natronictl the voters for a switchover and every member for a failover', () => {
    const listed = [
      { name: 'pg1', role: 'leader', noFailover: false },
      { name: 'pg2', role: 'quorum_standby', noFailover: false },
      { name: 'pg3', role: 'replica', noFailover: false },
      { name: 'pg4', role: 'quorum_standby', noFailover: true },
    ];
    expect(offeredCandidates('switchover', listed, 'pg1')).toEqual(['pg2']);
    expect(offeredCandidates('failover', listed, 'pg1')).toEqual(['pg2', 'pg3']);
    const withoutQuorum = listed.map((member) => ({ ...member, role: 'replica' }));
    expect(offeredCandidates('switchover', withoutQuorum, 'pg1')).toEqual(['pg2', 'pg3']);
  });
});

describe('schedules, restart filters, bodies, config merge, shapes', () => {
  it('parses ISO 8601 with a zone', () => {
    expect(parseSchedule('2030-01-01T12:00+02:00', 'restart', NOW)).toEqual({
      ok: true,
      atMs: Date.parse('2030-01-01T10:00:00Z'),
      iso: '2030-01-01T10:00:00+00:00',
    });
    expect(parseSchedule('2030-02-30T12:00+00', 'restart', NOW)).toMatchObject({ code: 422 });
  });

  it('checks restart filters in body order', () => {
    expect(decideRestart({ role: 'x', foo: 1 }, false, NOW)).toMatchObject({
      code: 400,
      message: expect.stringContaining('role'),
    });
    expect(decideRestart({ restart_pending: false }, false, NOW)).toEqual({
      ok: true,
      filters: { restartPending: true },
    });
  });

  it('reads bodies as Patroni does', () => {
    expect(readJsonBody(undefined, false, true)).toEqual({ ok: false, code: 411 });
    expect(readJsonBody(undefined, false, false)).toEqual({ ok: true, body: {} });
    expect(readJsonBody('{}', true, true)).toEqual({ ok: false, code: 400 });
    expect(readJsonBody('[]', true, false)).toEqual({ ok: false, code: 400 });
  });

  it('merges a PATCH: null deletes, objects merge, equal string forms change nothing', () => {
    const current = { ttl: 30, postgresql: { parameters: { a: 1, b: '2' } } };
    expect(patchConfig(current, { ttl: '30' })).toEqual({ config: current, changed: false });
    expect(
      patchConfig(current, { postgresql: { parameters: { a: null, c: 3 } }, pause: true }),
    ).toEqual({
      config: { ttl: 30, postgresql: { parameters: { b: '2', c: 3 } }, pause: true },
      changed: true,
    });
  });

  it('renders history rows and connection addresses', () => {
    const history = create(HistorySchema, {
      entries: [
        { timeline: 1, switchLsn: 10, reason: 'r', timestamp: 't', newLeader: 'pg2' },
        { timeline: 2, switchLsn: 20, reason: 'r', timestamp: 't' },
      ],
    });
    expect(historyDocument(history)).toEqual([
      [1, 10, 'r', 't', 'pg2'],
      [2, 20, 'r', 't'],
    ]);
    expect(hostAndPort('postgres://u@10.0.0.1:5433/db')).toEqual({ host: '10.0.0.1', port: 5433 });
    expect(hostAndPort('postgres://[::1]/db')).toEqual({ host: '::1', port: 5432 });
  });
});
