import {
  checkLab,
  FAULT_KINDS,
  faultSchedule,
  LabOptionsError,
  longestWriteGapMs,
  parseLabOptions,
  splitBrainEpisodes,
  stalePrimaryEpisodes,
  type AcknowledgedWrite,
  type FaultRecord,
  type LabRecords,
  type WriterAck,
} from '../../libs/lab/src/index.ts';

const ack = (member: string, serverAt: number, ackAt: number, timeline = 1): AcknowledgedWrite => ({
  member,
  sentAt: serverAt - 1,
  serverAt,
  ackAt,
  timeline,
});

function writerAcks(
  member: string,
  from: number,
  to: number,
  firstId: number,
  timeline = 1,
): WriterAck[] {
  const acks: WriterAck[] = [];
  for (let at = from, id = firstId; at < to; at += 100, id += 1) {
    acks.push({ ...ack(member, at, at + 5, timeline), id, lsn: id * 100 });
  }
  return acks;
}

function records(overrides: Partial<LabRecords>): LabRecords {
  return {
    seed: 1,
    mode: 'sync',
    ttlSeconds: 8,
    loopWaitSeconds: 1,
    retryTimeoutSeconds: 3,
    maximumLagOnFailover: 1_048_576,
    startedAt: 0,
    finishedAt: 100_000,
    faults: [],
    writerAcks: [],
    probeAcks: [],
    events: [],
    finalLostIds: [],
    final: [],
    ...overrides,
  };
}

const fault = (overrides: Partial<FaultRecord>): FaultRecord => ({
  index: 0,
  kind: 'partition-primary',
  target: 'pg1',
  primaryBefore: 'pg1',
  primaryAfter: 'pg2',
  startedAt: 10_000,
  injectedAt: 10_050,
  healedAt: 28_000,
  healthyAt: 30_000,
  lostIds: [],
  lostBytes: 0,
  ...overrides,
});

describe('the lab checker', () => {
  it('finds no split brain when one member stops acknowledging before another starts', () => {
    expect(
      splitBrainEpisodes([ack('pg1', 0, 10), ack('pg1', 100, 110), ack('pg2', 500, 510, 2)], 0),
    ).toEqual([]);
  });

  it('reports two members whose acknowledged writes overlap in time as one episode', () => {
    const episodes = splitBrainEpisodes(
      [ack('pg1', 0, 300), ack('pg2', 100, 120, 2), ack('pg2', 200, 220, 2), ack('pg1', 210, 400)],
      0,
    );
    expect(episodes).toHaveLength(1);
    expect([...episodes[0].members].sort()).toEqual(['pg1', 'pg2']);
  });

  it('reports a primary that writes on an older timeline after another wrote on a newer one', () => {
    const acks = [ack('pg1', 0, 10, 1), ack('pg2', 100, 110, 2), ack('pg1', 200, 210, 1)];
    expect(stalePrimaryEpisodes(acks, 0)).toHaveLength(1);
    // A → B → A through a demotion: A comes back on a newer timeline.
    expect(
      stalePrimaryEpisodes(
        [ack('pg1', 0, 10, 1), ack('pg2', 100, 110, 2), ack('pg1', 200, 210, 3)],
        0,
      ),
    ).toEqual([]);
  });

  it('measures the longest time without an acknowledged write in a window', () => {
    expect(longestWriteGapMs([100, 200, 5_000, 5_100], 0, 6_000)).toBe(4_800);
    expect(longestWriteGapMs([], 0, 6_000)).toBe(6_000);
  });

  it('counts lost writes as an anomaly in synchronous mode, whatever the fault', () => {
    const verdict = checkLab(
      records({
        faults: [fault({ lostIds: [7], lostBytes: 100 })],
        writerAcks: [
          ...writerAcks('pg1', 0, 10_000, 1),
          ...writerAcks('pg2', 19_000, 40_000, 200, 2),
        ],
      }),
      15_000,
    );
    expect(verdict.anomalies.map((anomaly) => anomaly.kind)).toEqual(['lost-writes']);
    expect(verdict.rows[0]).toMatchObject({
      kind: 'partition-primary',
      count: 1,
      writesLost: 1,
      splitBrains: 0,
    });
  });

  it('allows losses within maximum_lag_on_failover in an asynchronous failover of the primary only', () => {
    const base = {
      mode: 'async' as const,
      writerAcks: [
        ...writerAcks('pg1', 0, 10_000, 1),
        ...writerAcks('pg2', 19_000, 40_000, 200, 2),
      ],
    };
    expect(
      checkLab(records({ ...base, faults: [fault({ lostIds: [7], lostBytes: 100 })] }), 15_000)
        .anomalies,
    ).toEqual([]);
    const tooMuch = checkLab(
      records({ ...base, faults: [fault({ lostIds: [7], lostBytes: 2_000_000 })] }),
      15_000,
    );
    expect(tooMuch.anomalies.map((anomaly) => anomaly.kind)).toEqual(['lost-writes']);
    const switchover = checkLab(
      records({ ...base, faults: [fault({ kind: 'switchover', lostIds: [7], lostBytes: 100 })] }),
      15_000,
    );
    expect(switchover.anomalies.map((anomaly) => anomaly.kind)).toEqual(['lost-writes']);
  });

  it('reports writes stalled for longer than the bound during a fault', () => {
    const verdict = checkLab(
      records({
        faults: [fault({ kind: 'freeze-postgres', primaryAfter: 'pg1' })],
        writerAcks: [...writerAcks('pg1', 0, 10_000, 1), ...writerAcks('pg1', 28_000, 40_000, 200)],
      }),
      15_000,
    );
    expect(verdict.anomalies.map((anomaly) => anomaly.kind)).toEqual(['unavailable']);
  });

  it('reports a fault that could not be injected', () => {
    const acks = writerAcks('pg1', 0, 40_000, 1);
    const verdict = checkLab(
      records({
        faults: [fault({ kind: 'netem-primary', primaryAfter: 'pg1', injectionError: 'no netem' })],
        writerAcks: acks,
      }),
      15_000,
    );
    expect(verdict.anomalies.map((anomaly) => anomaly.kind)).toEqual(['not-injected']);
  });

  it('reports members whose data disagree at the end', () => {
    const verdict = checkLab(
      records({
        final: [
          { member: 'pg1', role: 'primary', rows: 10, maxId: 10, timeline: 2 },
          { member: 'pg2', role: 'replica', rows: 9, maxId: 9, timeline: 2, streaming: true },
          { member: 'pg3', role: 'replica', rows: 10, maxId: 10, timeline: 1, streaming: false },
        ],
      }),
      15_000,
    );
    expect(verdict.anomalies).toHaveLength(1);
    expect(verdict.anomalies[0].summary).toMatch(
      /pg2 has 9 rows.*pg3 does not stream|pg3 does not stream.*pg2 has 9 rows/,
    );
  });
});

describe('the lab schedule and options', () => {
  it('gives the same schedule for the same seed, and every kind once per round', () => {
    const schedule = faultSchedule(FAULT_KINDS.length * 2, 42);
    expect(faultSchedule(FAULT_KINDS.length * 2, 42)).toEqual(schedule);
    expect(new Set(schedule.slice(0, FAULT_KINDS.length).map((fault) => fault.kind)).size).toBe(
      FAULT_KINDS.length,
    );
    expect(faultSchedule(10, 43)).not.toEqual(faultSchedule(10, 42));
  });

  it('parses its options and refuses bad ones with a sentence', () => {
    expect(parseLabOptions(['--faults', '200', '--seed', '7'])).toMatchObject({
      faults: 200,
      seed: 7,
      mode: 'sync',
    });
    expect(parseLabOptions(['--kinds=switchover,freeze-postgres'], 5).kinds).toEqual([
      'switchover',
      'freeze-postgres',
    ]);
    expect(() => parseLabOptions(['--seed', 'abc'])).toThrow(
      new LabOptionsError('--seed must be an integer, not "abc"'),
    );
    expect(() => parseLabOptions(['--kinds', 'switchover,meteor'])).toThrow(
      /unknown fault kind "meteor"; the kinds are/,
    );
    expect(() => parseLabOptions(['--faults', '0'])).toThrow(/at least 1/);
    expect(() => parseLabOptions(['--mode', 'quorum'])).toThrow(/sync or async/);
    expect(() => parseLabOptions(['--verbose'])).toThrow(/unknown option "--verbose"/);
  });
});
