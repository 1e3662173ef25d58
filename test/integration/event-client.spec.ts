import { connect, type NatsConnection } from '@nats-io/transport-node';
import { NatroniClient, type ReceivedEvent } from '../../libs/client/src/index.ts';
import { ensureEventStream, EventPublisher } from '../../libs/events/src/index.ts';
import { NatsServerProcess } from '../../libs/harness/src/index.ts';
import type { Event } from '../../libs/proto/src/index.ts';

const SCOPE = 'client-events';

describe('NatroniClient events against a real nats-server', () => {
  let nats: NatsServerProcess;
  let nc: NatsConnection;
  let publisher: EventPublisher;
  let client: NatroniClient;

  beforeAll(async () => {
    nats = await NatsServerProcess.start();
    nc = await connect({ servers: nats.url });
    await ensureEventStream(nc, 'natroni', SCOPE);
    publisher = new EventPublisher(nc, { namespace: 'natroni', scope: SCOPE });
    client = new NatroniClient(nc, { scope: SCOPE });
  });

  afterAll(async () => {
    await nc?.close();
    await nats?.dispose();
  });

  const failover = (oldLeader: string, newLeader: string) =>
    publisher.publish({
      member: newLeader,
      term: 7,
      detail: {
        case: 'failover',
        value: { oldLeader, newLeader, durationMs: 1500, reason: 'the leader lease ran out' },
      },
    });

  /** Collects events from an iterator until `count` arrived. */
  async function take(
    iterator: AsyncIterator<ReceivedEvent>,
    count: number,
    what: string,
  ): Promise<ReceivedEvent[]> {
    const received: ReceivedEvent[] = [];
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 10_000).unref(),
    );
    while (received.length < count) {
      const next = await Promise.race([iterator.next(), timeout]);
      if (next.done) throw new Error(`the subscription ended before ${what}`);
      received.push(next.value);
    }
    return received;
  }

  it('delivers new events typed and decoded, filtered by kind', async () => {
    const subscription = await client.events({ kinds: ['failover'] });
    const iterator = subscription[Symbol.asyncIterator]();
    await publisher.publish({
      member: 'pg1',
      detail: { case: 'leaseRenewed', value: { latencyMs: 1 } },
    });
    const published = await failover('pg1', 'pg2');
    const [received] = await take(iterator, 1, 'the failover event');
    subscription.stop();
    expect(received.event.id).toBe(published.id);
    expect(received.event.detail.case).toBe('failover');
    if (received.event.detail.case === 'failover')
      expect(received.event.detail.value).toMatchObject({ oldLeader: 'pg1', newLeader: 'pg2' });
  });

  it('replays from a point in time', async () => {
    const before = await failover('pg2', 'pg3');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const since = new Date();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const after = await failover('pg3', 'pg1');
    const subscription = await client.events({ kinds: ['failover'], from: since });
    const [first] = await take(subscription[Symbol.asyncIterator](), 1, 'the replayed event');
    subscription.stop();
    expect(first.event.id).toBe(after.id);
    expect(first.event.id).not.toBe(before.id);
  });

  it('a durable subscriber that was down during a failover receives it on reconnect', async () => {
    const durable = 'webhook-test';
    const first = await client.durableEvents(durable, { kinds: ['failover'], from: 'new' });
    const firstIterator = first[Symbol.asyncIterator]();
    const seen = await failover('pg1', 'pg2');
    const [delivered] = await take(firstIterator, 1, 'the event while up');
    expect(delivered.event.id).toBe(seen.id);
    delivered.ack();
    first.stop();

    // Down: its connection is gone while the failover happens.
    const missed: Event = await failover('pg2', 'pg3');

    const otherConnection = await connect({ servers: nats.url });
    try {
      const again = new NatroniClient(otherConnection, { scope: SCOPE });
      const second = await again.durableEvents(durable);
      const [received] = await take(second[Symbol.asyncIterator](), 1, 'the missed event');
      received.ack();
      expect(received.event.id).toBe(missed.id);
      expect(received.event.detail.case).toBe('failover');
      second.stop();
    } finally {
      await otherConnection.close();
    }
  });

  it('redelivers an unacknowledged event with the same id (at least once)', async () => {
    const durable = 'redelivery-test';
    const subscription = await client.durableEvents(durable, {
      kinds: ['failover'],
      from: 'new',
      ackWaitMs: 500,
    });
    const iterator = subscription[Symbol.asyncIterator]();
    const published = await failover('pg3', 'pg1');
    const [first, second] = await take(iterator, 2, 'the event and its redelivery');
    subscription.stop();
    expect([first.event.id, second.event.id]).toEqual([published.id, published.id]);
    expect([first.redelivered, second.redelivered]).toEqual([false, true]);
    await client.deleteDurable(durable);
  });
});
