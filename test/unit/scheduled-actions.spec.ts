import {
  MAX_TIMER_DELAY_MS,
  boundedTimerMs,
  historyDocument,
  isoUtc,
  parseSchedule,
  readTimestamp,
  timerDelayMs,
  timestampMs,
} from '../../libs/domain/src/index.ts';
import { RestartSchedule } from '../../apps/node-agent/src/agent/restart-schedule.ts';

const NOW = Date.parse('2026-12-03T12:00:00Z');
const DAY_MS = 86_400_000;

describe('dates as Patroni reads them', () => {
  it.each([
    ['2030-01-01T12:00:00+02:00', '2030-01-01T10:00:00.000Z'],
    ['2030-01-01 12:00 +0200', '2030-01-01T10:00:00.000Z'],
    ['2030-01-01T12:00Z', '2030-01-01T12:00:00.000Z'],
    ['2030-01-01T12:00:00.123456-03:30', '2030-01-01T15:30:00.123Z'],
    ['2030-01-01T04:32:31-3', '2030-01-01T07:32:31.000Z'],
    ['20300101T120000Z', '2030-01-01T12:00:00.000Z'],
    ['2030/01/01 12:00 UTC', '2030-01-01T12:00:00.000Z'],
    ['1 Jan 2030 12:00 GMT', '2030-01-01T12:00:00.000Z'],
    ['Tue, 01 Jan 2030 12:00:00 +0000', '2030-01-01T12:00:00.000Z'],
    ['January 1, 2030 12:00 +01:00', '2030-01-01T11:00:00.000Z'],
  ])('reads %s', (text, instant) => {
    const read = readTimestamp(text);
    expect(read).toBeDefined();
    expect(new Date(timestampMs(read!)).toISOString()).toBe(instant);
  });

  it('reads a zoneless date without an offset, and refuses what is no date', () => {
    expect(readTimestamp('2030-01-01 12:00')).toMatchObject({ hour: 12, offsetMinutes: undefined });
    for (const text of [
      '',
      'now',
      'tomorrow',
      '2030-02-30T12:00Z',
      '2030-01-01T25:00Z',
      '2030-13-01',
    ])
      expect(readTimestamp(text)).toBeUndefined();
  });

  it("answers with Patroni's codes and messages", () => {
    expect(parseSchedule('2030-01-01 12:00', 'restart', NOW)).toEqual({
      ok: false,
      code: 400,
      message: 'Timezone information is mandatory for the scheduled restart',
    });
    expect(parseSchedule('2020-01-01T12:00Z', 'switchover', NOW)).toEqual({
      ok: false,
      code: 422,
      message: 'Cannot schedule switchover in the past',
    });
    expect(parseSchedule('next week', 'restart', NOW)).toEqual({
      ok: false,
      code: 422,
      message:
        'Unable to parse scheduled timestamp. It should be in an unambiguous format, e.g. ISO 8601',
    });
    expect(parseSchedule('2030-01-01 12:00:00.5 +01:00', 'restart', NOW)).toEqual({
      ok: true,
      atMs: Date.parse('2030-01-01T11:00:00.500Z'),
      iso: '2030-01-01T11:00:00.500000+00:00',
    });
  });
});

describe('timers for a date', () => {
  it('never hands a timer more than 2^31 - 1 ms, nor a negative delay', () => {
    expect(timerDelayMs(NOW + 365 * DAY_MS, NOW, Infinity)).toBe(MAX_TIMER_DELAY_MS);
    expect(timerDelayMs(NOW + 30 * DAY_MS, NOW)).toBe(3_600_000);
    expect(timerDelayMs(NOW + 2_000, NOW)).toBe(2_000);
    expect(timerDelayMs(NOW - 5_000, NOW)).toBe(0);
    expect(boundedTimerMs(1e15)).toBe(MAX_TIMER_DELAY_MS);
  });
});

describe('RestartSchedule', () => {
  afterEach(() => jest.useRealTimers());

  it.each([
    ['30 days', 30 * DAY_MS],
    ['1 year', 365 * DAY_MS],
  ])('does not fire %s ahead before its time, then fires', (_label, aheadMs) => {
    jest.useFakeTimers({ now: NOW });
    const run = jest.fn();
    const changes = jest.fn();
    const schedule = new RestartSchedule(changes);
    expect(schedule.schedule(NOW + aheadMs, { schedule: 'x' }, run)).toBe(true);
    jest.advanceTimersByTime(aheadMs - 1_000);
    expect(run).not.toHaveBeenCalled();
    expect(schedule.current?.schedule).toBe('x');
    jest.advanceTimersByTime(1_000);
    expect(run).toHaveBeenCalledTimes(1);
    expect(schedule.current).toBeUndefined();
    expect(changes).toHaveBeenCalledTimes(2);
  });

  it('keeps one restart at most; a cancelled one never fires', () => {
    jest.useFakeTimers({ now: NOW });
    const run = jest.fn();
    const schedule = new RestartSchedule();
    expect(schedule.schedule(NOW + DAY_MS, { schedule: 'a' }, run)).toBe(true);
    expect(schedule.schedule(NOW + DAY_MS, { schedule: 'b' }, run)).toBe(false);
    expect(schedule.cancel()).toBe(true);
    expect(schedule.cancel()).toBe(false);
    jest.advanceTimersByTime(2 * DAY_MS);
    expect(run).not.toHaveBeenCalled();
  });

  it('fires a schedule 2 s ahead within a second of its time', async () => {
    const dueAt = Date.now() + 2_000;
    const schedule = new RestartSchedule();
    const firedAt = await new Promise<number>((resolve) => {
      schedule.schedule(dueAt, { schedule: 'soon' }, () => resolve(Date.now()));
    });
    expect(firedAt).toBeGreaterThanOrEqual(dueAt);
    expect(firedAt - dueAt).toBeLessThan(1_000);
  });
});

describe('/history timestamps', () => {
  // As the reference cluster's /history writes them: 2026-11-23T10:49:09.024686+00:00.
  const PATRONI_FORM = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$/;

  it('are written and served as Patroni writes them, whatever form was stored', () => {
    expect(isoUtc(Date.parse('2026-12-03T17:51:56.361Z'))).toBe('2026-12-03T17:51:56.361000+00:00');
    const history = {
      entries: [
        {
          timeline: 1,
          switchLsn: 67393352,
          reason: 'r',
          timestamp: '2026-12-03T17:51:56.361Z',
          newLeader: 'pg2',
        },
        {
          timeline: 2,
          switchLsn: 67394104,
          reason: 'r',
          timestamp: '2026-12-03T19:51:56+02:00',
          newLeader: '',
        },
      ],
    } as unknown as Parameters<typeof historyDocument>[0];
    const rows = historyDocument(history) as unknown[][];
    expect(rows[0]).toEqual([1, 67393352, 'r', '2026-12-03T17:51:56.361000+00:00', 'pg2']);
    expect(rows[1]).toEqual([2, 67394104, 'r', '2026-12-03T17:51:56+00:00']);
    for (const row of rows) expect(row[3]).toMatch(PATRONI_FORM);
  });
});
