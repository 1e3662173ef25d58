import {
  callbackRole,
  formatLsn,
  formatSettingWithUnit,
  judgeTerm,
  parseLsn,
  parsePostgresVersion,
  pendingRestartReason,
  postgresStateLabel,
  postgresStateNumber,
  postgresStateNumberOfLabel,
  POSTGRES_STATES,
  raiseTerm,
  restartConditionsMet,
  restartRequestError,
  planSlotUpkeep,
  slotNameForMember,
  type ExistingSlot,
  timelineOfWalFile,
} from '../../libs/domain/src/index.ts';

describe('PostgreSQL states', () => {
  it('keeps Patroni fixed numbers, metric names and strings', () => {
    expect(POSTGRES_STATES).toHaveLength(15);
    expect(postgresStateNumber('initdb')).toBe(0);
    expect(postgresStateNumber('running')).toBe(5);
    expect(postgresStateNumber('crashed')).toBe(14);
    expect(postgresStateLabel('initdb')).toBe('initializing new cluster');
    expect(postgresStateLabel('bootstrap_starting')).toBe('starting after custom bootstrap');
    expect(postgresStateNumberOfLabel('stop failed')).toBe(13);
    expect(postgresStateNumberOfLabel('unknown')).toBe(-1);
  });
});

describe('term fencing', () => {
  it('refuses an older term and a missing one, accepts equal and newer', () => {
    expect(judgeTerm(5, 4)).toMatchObject({ accepted: false, reason: 'stale' });
    expect(judgeTerm(5, 0)).toMatchObject({ accepted: false, reason: 'stale' });
    expect(judgeTerm(0, 0)).toMatchObject({ accepted: false, reason: 'missing' });
    expect(judgeTerm(5, 5)).toEqual({ accepted: true, highestTerm: 5 });
    expect(judgeTerm(5, 7)).toEqual({ accepted: true, highestTerm: 7 });
    expect(raiseTerm(5, 3)).toBe(5);
    expect(raiseTerm(5, 9)).toBe(9);
    expect(raiseTerm(5, undefined)).toBe(5);
  });
});

describe('LSN', () => {
  it('parses and formats "X/Y"', () => {
    expect(parseLsn('0/3000060')).toBe(0x3000060);
    expect(parseLsn('1/0')).toBe(2 ** 32);
    expect(formatLsn(2 ** 32 + 0x60)).toBe('1/60');
    expect(formatLsn(parseLsn('16/B374D848'))).toBe('16/B374D848');
    expect(() => parseLsn('nope')).toThrow('invalid LSN');
    expect(timelineOfWalFile('000000020000000000000003')).toBe(2);
  });
});

describe('pending_restart_reason', () => {
  it('shows the running value with its unit as SHOW does', () => {
    expect(formatSettingWithUnit('16384', '8kB')).toBe('128MB');
    expect(formatSettingWithUnit('60000', 'ms')).toBe('1min');
    expect(formatSettingWithUnit('100', null)).toBe('100');
    expect(formatSettingWithUnit('-1', 'kB')).toBe('-1');
    expect(
      pendingRestartReason([
        { name: 'max_connections', running: '100', unit: null, configured: '101' },
        { name: 'shared_buffers', running: '16384', unit: '8kB', configured: null },
      ]),
    ).toEqual({
      max_connections: { old_value: '100', new_value: '101' },
      shared_buffers: { old_value: '128MB', new_value: '' },
    });
  });
});

describe('restart conditions', () => {
  const subject = { role: 'replica', serverVersion: 150018, pendingRestart: false };
  it('validates the request as Patroni does', () => {
    expect(restartRequestError({ role: 'leader' })).toMatch(/role should be either/);
    expect(restartRequestError({ postgres_version: '15' })).toMatch(/Invalid PostgreSQL version/);
    expect(restartRequestError({ postgres_version: '15.2.1' })).toMatch(/Invalid PostgreSQL/);
    expect(parsePostgresVersion('9.6.3')).toBe(90603);
    expect(restartRequestError({ role: 'replica', postgres_version: '16.1' })).toBeUndefined();
  });
  it('restarts only when every condition holds', () => {
    expect(restartConditionsMet({}, subject)).toBe(true);
    expect(restartConditionsMet({ role: 'primary' }, subject)).toBe(false);
    expect(restartConditionsMet({ postgres_version: '15.19' }, subject)).toBe(true);
    expect(restartConditionsMet({ postgres_version: '15.18' }, subject)).toBe(false);
    expect(restartConditionsMet({ restart_pending: false }, subject)).toBe(false);
    expect(
      restartConditionsMet({ restart_pending: false }, { ...subject, pendingRestart: true }),
    ).toBe(true);
  });
});

describe('member names in PostgreSQL', () => {
  it('makes slot names and callback roles as Patroni', () => {
    expect(slotNameForMember('Pg-1.a')).toBe('pg_1_a');
    expect(callbackRole('promoted')).toBe('primary');
    expect(callbackRole('replica')).toBe('replica');
  });
});

describe('replication slot upkeep (member_slots_ttl)', () => {
  const physical = (name: string, active = false): ExistingSlot => ({
    name,
    type: 'physical',
    active,
    database: undefined,
    plugin: undefined,
  });
  const facts = {
    slots: [
      physical('pg2'),
      physical('pg3', true),
      physical('gone'),
      physical('archiver'),
      physical('backup_tool'),
      { name: 'cdc', type: 'logical', active: false, database: 'app', plugin: 'pgoutput' },
    ],
    primary: true,
    self: 'pg1',
    liveMembers: ['pg1', 'pg2', 'pg3'],
    permanent: ['archiver'],
    ignore: [{ name: 'backup_tool' }],
    unwantedSince: new Map<string, number>(),
    nowMs: 100_000,
    memberSlotsTtlMs: 1_800_000,
  };

  test('on the primary, a departed member slot is dropped only after member_slots_ttl', () => {
    const first = planSlotUpkeep(facts);
    expect(first.drop).toEqual([]);
    expect([...first.unwantedSince]).toEqual([['gone', 100_000]]);
    const later = planSlotUpkeep({
      ...facts,
      unwantedSince: first.unwantedSince,
      nowMs: 100_000 + 1_800_000,
    });
    expect(later.drop).toEqual(['gone']);
  });

  test('a member slot becomes unwanted when its member stops being live', () => {
    const plan = planSlotUpkeep({ ...facts, liveMembers: ['pg1', 'pg3'], memberSlotsTtlMs: 0 });
    expect(plan.drop).toEqual(['pg2', 'gone']);
  });

  test('on a replica every inactive physical slot but the permanent and ignored ones goes', () => {
    const plan = planSlotUpkeep({ ...facts, primary: false, memberSlotsTtlMs: 0 });
    expect(plan.drop).toEqual(['pg2', 'gone']);
  });

  test('a slot wanted again is forgotten', () => {
    const plan = planSlotUpkeep({
      ...facts,
      slots: [physical('pg2')],
      unwantedSince: new Map([['pg2', 1]]),
    });
    expect(plan).toEqual({ drop: [], unwantedSince: new Map() });
  });
});
