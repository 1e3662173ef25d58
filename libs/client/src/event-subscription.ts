import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import { decodeWire, EventSchema, WireDecodeError, type Event } from '../../proto/src/index.ts';

/** One event as a subscriber receives it. */
export interface ReceivedEvent {
  readonly event: Event;
  /** Position in the cluster's event stream. */
  readonly sequence: number;
  /** True when the stream delivers it again (a durable subscriber did not acknowledge it in time). */
  readonly redelivered: boolean;
  /** Confirms a durable subscription's delivery; until then it is delivered again. No-op otherwise. */
  ack(): void;
}

/** Called with a stream message that is not a valid Event; it is skipped (and not redelivered). */
export type MalformedEventHandler = (error: WireDecodeError, sequence: number) => void;

/**
 * The events of one JetStream consumer, decoded, as an async iterable. Each subscription is iterated
 * once; `stop()` ends the iteration.
 */
export class EventSubscription implements AsyncIterable<ReceivedEvent> {
  private readonly acknowledged: boolean;
  private readonly kinds: ReadonlySet<string> | undefined;
  private readonly onMalformed: MalformedEventHandler;

  constructor(
    private readonly messages: ConsumerMessages,
    options: {
      /** A durable consumer's deliveries are acknowledged by `ack()`. */
      acknowledged: boolean;
      /** Events of other kinds are skipped (and acknowledged). */
      kinds?: readonly string[];
      onMalformed?: MalformedEventHandler;
    },
  ) {
    this.acknowledged = options.acknowledged;
    this.kinds = options.kinds?.length ? new Set(options.kinds) : undefined;
    this.onMalformed = options.onMalformed ?? (() => undefined);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ReceivedEvent> {
    for await (const message of this.messages) {
      const received = this.decode(message);
      if (received) yield received;
    }
  }

  /**
   * Stops the delivery: a loop over the subscription ends. An ephemeral consumer is deleted by the
   * server once idle; a durable one keeps its position.
   */
  stop(): void {
    this.messages.stop();
  }

  private decode(message: JsMsg): ReceivedEvent | undefined {
    const sequence = message.seq;
    try {
      const event = decodeWire(EventSchema, message.data);
      const acknowledged = this.acknowledged;
      if (this.kinds && !this.kinds.has(event.kind)) {
        if (acknowledged) message.ack();
        return undefined;
      }
      return {
        event,
        sequence,
        redelivered: message.redelivered,
        ack: () => {
          if (acknowledged) message.ack();
        },
      };
    } catch (error) {
      if (!(error instanceof WireDecodeError)) throw error;
      if (this.acknowledged) message.term();
      this.onMalformed(error, sequence);
      return undefined;
    }
  }
}
