import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { NatsConnection } from '@nats-io/nats-core';
import { nuid } from '@nats-io/nats-core';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { EventSchema, toWireJson, type Event } from '../../proto/src/index.ts';
import { eventSubject } from './event-stream.ts';

/** An event without the envelope fields the publisher fills in. */
export type EventDraft = Omit<
  Exclude<MessageInitShape<typeof EventSchema>, Event>,
  'scope' | 'occurredAt'
> & { kind: string; member: string };

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
      id: draft.id ?? nuid.next(),
      scope: this.options.scope,
      occurredAt: timestampFromMs(Date.now()),
    });
    const subject = eventSubject(this.options.namespace, this.options.scope, event.kind);
    await this.js.publish(subject, toWireJson(EventSchema, event), { msgID: event.id });
    return event;
  }
}
