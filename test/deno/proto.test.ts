// Run by `deno test` (see test/integration/deno-unit.spec.ts): the bus contract loads unchanged under Deno.
import { strictEqual, throws } from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import {
  decodeWire,
  encodeWire,
  EventSchema,
  toWireJson,
  WireDecodeError,
} from '../../libs/proto/src/index.ts';

const failover = create(EventSchema, {
  id: 'evt-1',
  kind: 'failover',
  scope: 'demo',
  member: 'pg2',
  term: 4,
  timeline: 3,
  occurredAt: timestampFromMs(Date.parse('2026-11-23T10:00:00Z')),
  detail: {
    case: 'failover',
    value: { oldLeader: 'pg1', newLeader: 'pg2', durationMs: 1234.5, reason: 'lease expired' },
  },
});

Deno.test('an event travels as proto3 JSON with snake_case names', () => {
  const json = JSON.parse(toWireJson(EventSchema, failover)) as Record<string, unknown>;
  strictEqual(json['occurred_at'], '2026-11-23T10:00:00Z');
  strictEqual((json['failover'] as Record<string, unknown>)['new_leader'], 'pg2');
});

Deno.test('an event decodes back to the same message', () => {
  const decoded = decodeWire(EventSchema, encodeWire(EventSchema, failover));
  strictEqual(decoded.id, 'evt-1');
  strictEqual(decoded.detail.case, 'failover');
  if (decoded.detail.case === 'failover') strictEqual(decoded.detail.value.durationMs, 1234.5);
});

Deno.test('unknown fields are ignored, garbage is refused', () => {
  strictEqual(decodeWire(EventSchema, '{"kind":"x","added_later":1}').kind, 'x');
  throws(() => decodeWire(EventSchema, 'not json'), WireDecodeError);
  throws(() => decodeWire(EventSchema, '[1]'), WireDecodeError);
});
