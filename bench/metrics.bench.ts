/**
 * Scrape time of the metrics service's GET /metrics (the built service, against a real nats-server),
 * for a cluster of 3 members and one of 50 simulated members written into KV.
 *
 *   npm run bench:metrics            (RUNS=200 by default)
 */
import { resolve } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ClusterKeys, ClusterStore, memberKey } from '../libs/dcs/src/index.ts';
import { freePort, NatsServerProcess, ServiceProcess } from '../libs/harness/src/index.ts';
import { LeaseRecordSchema, MemberStatusSchema } from '../libs/proto/src/index.ts';
import { formatMs, summarize } from './percentiles.ts';

const RUNS = Number(process.env.RUNS ?? 200);
const REPO = resolve(__dirname, '../..');

async function writeMembers(nc: NatsConnection, scope: string, count: number): Promise<void> {
  const store = await ClusterStore.open(nc, { namespace: 'natroni', scope });
  for (let index = 1; index <= count; index += 1) {
    const name = `pg${index}`;
    const primary = index === 1;
    await store.put(
      memberKey(name),
      create(MemberStatusSchema, {
        name,
        scope,
        state: 'running',
        role: primary ? 'primary' : 'replica',
        serverVersion: 150018,
        timeline: 1,
        version: '0.1.0',
        postmasterStartTime: '2026-11-23 10:00:00.000000+00:00',
        xlog: primary
          ? { location: 67_108_864 }
          : { receivedLocation: 67_108_864, replayedLocation: 67_108_864 },
        replicationState: primary ? undefined : 'streaming',
        updatedAt: timestampFromMs(Date.now()),
      }),
    );
  }
  await store.put(
    ClusterKeys.leader,
    create(LeaseRecordSchema, { member: 'pg1', term: 1, ttl: 30 }),
  );
}

async function scrapeTimes(port: number): Promise<number[]> {
  const times: number[] = [];
  for (let run = 0; run < RUNS + 20; run += 1) {
    const startedAt = performance.now();
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    await response.text();
    if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}`);
    if (run >= 20) times.push(performance.now() - startedAt);
  }
  return times;
}

async function main(): Promise<void> {
  const nats = await NatsServerProcess.start();
  const services: ServiceProcess[] = [];
  try {
    const nc = await connect({ servers: nats.url });
    for (const members of [3, 50]) {
      const scope = `bench-metrics-${members}`;
      await writeMembers(nc, scope, members);
      const service = ServiceProcess.start({
        app: 'metrics',
        repoDir: REPO,
        httpPort: await freePort(),
        env: { NATRONI_SCOPE: scope, NATRONI_NATS_SERVERS: nats.url },
      });
      services.push(service);
      await service.healthWith(200, 30_000);
      const times = await scrapeTimes(service.httpPort);
      console.log(`GET /metrics, ${members} members: ${formatMs(summarize(times))}`);
    }
    await nc.close();
  } finally {
    await Promise.allSettled(services.map((service) => service.stop('SIGTERM', 10_000)));
    await nats.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
