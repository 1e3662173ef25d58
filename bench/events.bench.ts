/**
 * Event delivery latency against a real nats-server: from the publisher's call (EventPublisher, a
 * JetStream publish) to the subscriber receiving the decoded event (NatroniClient.events, an ordered
 * consumer), both in this process so that one clock times both ends. Runs under Node and under Deno:
 *
 *   npm run bench:events                                   (RUNS=500 by default; Node, then Deno)
 *   DENO_DIR=$(mktemp -d) node_modules/.bin/deno run -A bench/events.bench.ts
 */
import { connect } from '@nats-io/transport-node';
import { NatroniClient } from '../libs/client/src/index.ts';
import { ensureEventStream, EventPublisher } from '../libs/events/src/index.ts';
import { NatsServerProcess } from '../libs/harness/src/index.ts';
import { formatMs, summarize } from './percentiles.ts';

const RUNS = Number(process.env.RUNS ?? 500);
const SCOPE = 'bench-events';
const RUNTIME = 'Deno' in globalThis ? 'Deno' : 'Node';

async function main(): Promise<void> {
  const nats = await NatsServerProcess.start();
  try {
    const publisherConnection = await connect({ servers: nats.url });
    const subscriberConnection = await connect({ servers: nats.url });
    await ensureEventStream(publisherConnection, 'natroni', SCOPE);
    const publisher = new EventPublisher(publisherConnection, {
      namespace: 'natroni',
      scope: SCOPE,
    });
    const subscription = await new NatroniClient(subscriberConnection, { scope: SCOPE }).events({
      kinds: ['failover'],
    });
    const iterator = subscription[Symbol.asyncIterator]();
    const latencies: number[] = [];
    for (let run = 0; run < RUNS + 20; run += 1) {
      const sentAt = performance.now();
      const receiving = iterator.next();
      await publisher.publish({
        member: 'pg2',
        detail: { case: 'failover', value: { oldLeader: 'pg1', newLeader: 'pg2' } },
      });
      const received = await receiving;
      if (received.done) throw new Error('the subscription ended');
      // The first 20 warm up the JIT and the connections.
      if (run >= 20) latencies.push(performance.now() - sentAt);
    }
    subscription.stop();
    await publisherConnection.close();
    await subscriberConnection.close();
    console.log(
      `event delivery, publish → subscriber (${RUNTIME}): ${formatMs(summarize(latencies))}`,
    );
  } finally {
    await nats.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
