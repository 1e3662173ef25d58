import { create, type DescMessage } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { eventKindOf, type EventDetail } from '../../libs/events/src/index.ts';
import {
  decodeWire,
  DynamicConfigSchema,
  encodeWire,
  EventSchema,
  LeaseRecordSchema,
  MemberStatusSchema,
  toWireJson,
  WireDecodeError,
} from '../../libs/proto/src/index.ts';

function decodeError(schema: DescMessage, payload: Uint8Array | string): WireDecodeError {
  try {
    decodeWire(schema, payload);
  } catch (error) {
    if (error instanceof WireDecodeError) return error;
    throw new Error(`expected a WireDecodeError, got ${String(error)}`, { cause: error });
  }
  throw new Error(`expected ${JSON.stringify(payload)} to be rejected`);
}

describe('bus wire codec', () => {
  it('round-trips a LeaseRecord through bytes', () => {
    const lease = create(LeaseRecordSchema, { member: 'pg1', term: 7, ttl: 30 });

    const bytes = encodeWire(LeaseRecordSchema, lease);

    expect(JSON.parse(new TextDecoder().decode(bytes))).toEqual({
      member: 'pg1',
      term: 7,
      ttl: 30,
    });
    expect(decodeWire(LeaseRecordSchema, bytes)).toEqual(lease);
  });

  it('round-trips a MemberStatus with nested xlog, replication rows and tags', () => {
    const status = create(MemberStatusSchema, {
      name: 'pg1',
      scope: 'demo',
      state: 'running',
      role: 'primary',
      serverVersion: 150018,
      timeline: 3,
      xlog: { location: 67_108_864 },
      xlogLocation: 67_108_864,
      replication: [
        {
          usename: 'replicator',
          applicationName: 'pg2',
          clientAddr: '127.0.0.1',
          state: 'streaming',
          syncState: 'async',
        },
      ],
      pendingRestartReason: { max_connections: { oldValue: '100', newValue: '101' } },
      tags: { nofailover: false, failover_priority: 1, clonefrom: true, zone: 'a' },
      connUrl: 'postgres://127.0.0.1:5432/postgres',
      apiUrl: 'http://127.0.0.1:8008/patroni',
      updatedAt: timestampFromDate(new Date('2026-11-23T10:47:10.123Z')),
      checkpointAfterPromote: false,
    });

    const json = toWireJson(MemberStatusSchema, status);
    const decoded = decodeWire(MemberStatusSchema, json);

    expect(decoded).toEqual(status);
    const wire = JSON.parse(json) as Record<string, unknown>;
    expect(wire).toMatchObject({
      server_version: 150018,
      xlog: { location: 67_108_864 },
      xlog_location: 67_108_864,
      replication: [{ application_name: 'pg2', client_addr: '127.0.0.1', sync_state: 'async' }],
      pending_restart_reason: { max_connections: { old_value: '100', new_value: '101' } },
      tags: { nofailover: false, failover_priority: 1, clonefrom: true, zone: 'a' },
      updated_at: '2026-11-23T10:47:10.123Z',
      checkpoint_after_promote: false,
    });
    expect(Object.keys(wire)).not.toContain('xlogLocation');
  });

  it('decodes WAL positions as JavaScript numbers, from a Patroni-style member key', () => {
    const status = decodeWire(
      MemberStatusSchema,
      '{"state":"running","role":"replica","xlog_location":67419744,"replay_lsn":67419744,' +
        '"receive_lsn":67419744,"xlog":{"received_location":67419744,"replayed_location":67419000,' +
        '"replayed_timestamp":null,"paused":false},"timeline":1}',
    );

    expect(typeof status.xlogLocation).toBe('number');
    expect(status.xlogLocation).toBe(67_419_744);
    expect(status.receiveLsn).toBe(67_419_744);
    expect(status.xlog?.replayedLocation).toBe(67_419_000);
    expect(status.xlog?.replayedTimestamp).toBeUndefined();
  });

  it('round-trips a DynamicConfig with snake_case keys and keeps absent fields absent', () => {
    const config = decodeWire(
      DynamicConfigSchema,
      '{"ttl":30,"loop_wait":10,"retry_timeout":10,"maximum_lag_on_failover":1048576,' +
        '"synchronous_mode":"quorum","pause":false,"postgresql":{"use_pg_rewind":true,' +
        '"use_slots":true,"parameters":{"max_connections":"100","wal_keep_size":"128MB"}}}',
    );

    expect(config.loopWait).toBe(10);
    expect(config.maximumLagOnFailover).toBe(1_048_576);
    expect(config.synchronousMode?.kind).toEqual({ case: 'stringValue', value: 'quorum' });
    expect(config.pause).toBe(false);
    expect(config.failsafeMode).toBeUndefined();
    expect(config.postgresql?.parameters).toEqual({
      max_connections: '100',
      wal_keep_size: '128MB',
    });

    const json = toWireJson(DynamicConfigSchema, config);
    expect(JSON.parse(json)).toEqual({
      ttl: 30,
      loop_wait: 10,
      retry_timeout: 10,
      maximum_lag_on_failover: 1048576,
      synchronous_mode: 'quorum',
      pause: false,
      postgresql: {
        use_pg_rewind: true,
        use_slots: true,
        parameters: { max_connections: '100', wal_keep_size: '128MB' },
      },
    });
    expect(decodeWire(DynamicConfigSchema, json)).toEqual(config);
  });

  it('round-trips an Event whose detail is named like its kind', () => {
    const event = create(EventSchema, {
      id: '01JD4S8X3V1',
      kind: 'switchover_completed',
      scope: 'demo',
      member: 'pg2',
      term: 8,
      timeline: 4,
      lsn: 83_886_080,
      occurredAt: timestampFromDate(new Date('2026-11-23T10:50:00Z')),
      detail: {
        case: 'switchoverCompleted',
        value: { leader: 'pg1', candidate: 'pg2', durationMs: 1830.5, reason: 'requested' },
      },
    });

    const bytes = encodeWire(EventSchema, event);
    const decoded = decodeWire(EventSchema, bytes);

    expect(decoded).toEqual(event);
    expect(JSON.parse(new TextDecoder().decode(bytes))).toEqual({
      id: '01JD4S8X3V1',
      kind: 'switchover_completed',
      scope: 'demo',
      member: 'pg2',
      term: 8,
      timeline: 4,
      lsn: 83886080,
      occurred_at: '2026-11-23T10:50:00Z',
      switchover_completed: {
        leader: 'pg1',
        candidate: 'pg2',
        duration_ms: 1830.5,
        reason: 'requested',
      },
    });
  });

  it('ignores unknown fields written by a newer writer', () => {
    const lease = decodeWire(
      LeaseRecordSchema,
      '{"member":"pg1","term":2,"ttl":30,"holder_epoch":9,"extra":{"nested":[1,2]}}',
    );

    expect(lease).toEqual(create(LeaseRecordSchema, { member: 'pg1', term: 2, ttl: 30 }));
  });

  it('rejects invalid JSON with the type name and the parser message', () => {
    const error = decodeError(LeaseRecordSchema, '{"member": "pg1",');

    expect(error.typeName).toBe('natroni.v1.LeaseRecord');
    expect(error.message).toMatch(/^natroni\.v1\.LeaseRecord: invalid JSON: ./);
  });

  it('rejects a field of the wrong type, naming the field', () => {
    const error = decodeError(LeaseRecordSchema, '{"term":"x"}');

    expect(error.message).toMatch(/^natroni\.v1\.LeaseRecord: /);
    expect(error.message).toContain('natroni.v1.LeaseRecord.term');
    expect(error.message).toContain('"x"');
  });

  it('rejects a JSON array, null or a scalar where a message is expected', () => {
    expect(decodeError(LeaseRecordSchema, '[1,2]').message).toBe(
      'natroni.v1.LeaseRecord: expected a JSON object, got an array',
    );
    expect(decodeError(LeaseRecordSchema, 'null').message).toBe(
      'natroni.v1.LeaseRecord: expected a JSON object, got null',
    );
    expect(decodeError(LeaseRecordSchema, '42').message).toBe(
      'natroni.v1.LeaseRecord: expected a JSON object, got a number',
    );
  });

  it('rejects a malformed nested value and bytes that are not UTF-8', () => {
    expect(decodeError(MemberStatusSchema, '{"xlog":[]}').message).toMatch(
      /^natroni\.v1\.MemberStatus: .*natroni\.v1\.Xlog/,
    );
    expect(decodeError(MemberStatusSchema, '{"updated_at":"yesterday"}').message).toMatch(
      /^natroni\.v1\.MemberStatus: .*google\.protobuf\.Timestamp/,
    );
    expect(decodeError(LeaseRecordSchema, new Uint8Array([0x7b, 0xff, 0x7d])).message).toMatch(
      /^natroni\.v1\.LeaseRecord: invalid UTF-8: /,
    );
  });
});

describe('eventKindOf', () => {
  test("every event's kind is its detail's case as the proto names it", () => {
    const detail = EventSchema.oneofs.find((oneof) => oneof.name === 'detail');
    const cases = detail?.fields ?? [];
    expect(cases.length).toBeGreaterThan(10);
    for (const field of cases) {
      expect(eventKindOf(field.localName as EventDetail['case'])).toBe(field.name);
    }
    expect(eventKindOf('leaseLost')).toBe('lease_lost');
  });
});
