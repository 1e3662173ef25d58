import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { NatsConnection } from '@nats-io/nats-core';
import { nuid } from '@nats-io/nats-core';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { EventSchema, toWireJson, type Event } from '../../proto/src/index.ts';
import { eventSubject } from './event-stream.ts';

type EventInit = Exclude<MessageInitShape<typeof EventSchema>, Event>;
/** An event's detail: one case of the `detail` oneof, which names the event. */
export type EventDetail = Exclude<EventInit['detail'], { case: undefined } | undefined>;

/**
 * An event without the fields the publisher fills in: the envelope (`scope`, `occurredAt`) and
 * `kind`, which is the detail's case spelled as on the wire (`leaseLost` → `lease_lost`).
 */
export type EventDraft = Omit<EventInit, 'scope' | 'occurredAt' | 'kind' | 'detail'> & {
  member: string;
  detail: EventDetail;
};

/** The `kind` of an event, and the last token of its subject: its detail's case in snake case. */
export function eventKindOf(detailCase: EventDetail['case']): string {
  return detailCase.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

export interface EventPublisherOptions {
  namespace: string;
  scope: string;
  /** Bound on each JetStream publish acknowledgement. */
  timeoutMs?: number;
}

/**
 * Publishes cluster events on `<ns>.<scope>.events.<kind>` through JetStream, each with a unique id that
 * is also its Nats-Msg-Id, so that the stream drops a retried duplicate.
 */
export class EventPublisher {
  private readonly js: JetStreamClient;

  constructor(
    nc: NatsConnection,
    private readonly options: EventPublisherOptions,
  ) {
    this.js = jetstream(nc, { timeout: options.timeoutMs ?? 5_000 });
  }

  async publish(draft: EventDraft): Promise<Event> {
    const event = create(EventSchema, {
      ...draft,
      kind: eventKindOf(draft.detail.case),
      id: draft.id ?? nuid.next(),
      scope: this.options.scope,
      occurredAt: timestampFromMs(Date.now()),
    });
    const subject = eventSubject(this.options.namespace, this.options.scope, event.kind);
    await this.js.publish(subject, toWireJson(EventSchema, event), { msgID: event.id });
    return event;
  }
}
