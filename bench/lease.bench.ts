/**
 * Leader lease figures against a real nats-server: the renewal round trip, and how long after `ttl`
 * a contender takes a lease whose holder stopped renewing.
 *
 *   npm run bench:lease            (RUNS=100 TTL_MS=1000 by default)
 *   NATS_SERVERS=3 npm run bench:lease   the same on a three-server cluster, the KV bucket with 3 replicas
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ClusterStore, LeaderLease } from '../libs/dcs/src/index.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeListenPort, NatsClusterServer, NatsServerProcess } from '../libs/harness/src/index.ts';
import { formatMs, summarize } from './percentiles.ts';

const RUNS = Number(process.env.RUNS ?? 100);
const TTL_MS = Number(process.env.TTL_MS ?? 1_000);
const SERVERS = Number(process.env.NATS_SERVERS ?? 1);
/** Takeovers run in parallel scopes so that 100 of them take seconds, not minutes. */
const PARALLEL_SCOPES = 10;

async function openLease(nc: NatsConnection, scope: string, member: string): Promise<LeaderLease> {
  const store = await ClusterStore.open(nc, { namespace: 'bench', scope, replicas: SERVERS });
  const lease = new LeaderLease(store, { member, ttlMs: TTL_MS });
  await lease.start();
  return lease;
}

async function renewalRoundTrips(nc: NatsConnection): Promise<number[]> {
  const lease = await openLease(nc, 'renewals', 'pg1');
  const acquired = await lease.attempt();
  if (!acquired.acquired) throw new Error('the renewal benchmark could not acquire a free lease');
  const latencies: number[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    const result = await lease.renew();
    if (result.outcome !== 'renewed') throw new Error(`renewal ${run} failed: ${result.outcome}`);
    latencies.push(result.latencyMs);
  }
  lease.stop();
  return latencies;
}

/** One takeover: the holder acquires and goes silent; returns how long after ttl the contender acquired. */
async function takeoverDelay(
  holderConnection: NatsConnection,
  contenderConnection: NatsConnection,
  scope: string,
) {
  const holder = await openLease(holderConnection, scope, 'pg1');
  const contender = await openLease(contenderConnection, scope, 'pg2');
  const held = await holder.attempt();
  if (!held.acquired) throw new Error(`${scope}: the holder could not acquire a free lease`);
  holder.stop();
  const giveUpAt = performance.now() + TTL_MS * 5;
  for (;;) {
    const seenAt = contender.observed()?.seenAt;
    const result = await contender.attempt();
    if (result.acquired) {
      contender.stop();
      if (seenAt === undefined)
        throw new Error(`${scope}: acquired without having seen the holder`);
      return result.sentAt - (seenAt + TTL_MS);
    }
    if (performance.now() > giveUpAt)
      throw new Error(`${scope}: no takeover within ${TTL_MS * 5} ms`);
    await contender.changed(result.retryAt);
  }
}

/** One nats-server, or a cluster of SERVERS on loopback; the URLs and how to stop them. */
async function startNats(): Promise<{ urls: string[]; dispose: () => Promise<void> }> {
  if (SERVERS === 1) {
    const nats = await NatsServerProcess.start();
    return { urls: [nats.url], dispose: () => nats.dispose() };
  }
  if (SERVERS !== 3)
    throw new Error(`NATS_SERVERS must be 1 or 3, not ${process.env.NATS_SERVERS}`);
  const workDir = await mkdtemp(join(tmpdir(), 'natroni-bench-nats-'));
  const ports = await Promise.all(
    Array.from({ length: SERVERS }, async () => ({
      client: await freeListenPort(),
      route: await freeListenPort(),
    })),
  );
  const routes = ports.map(({ route }) => `nats-route://127.0.0.1:${route}`);
  const servers = ports.map(
    ({ client, route }, index) =>
      new NatsClusterServer({
        name: `n${index + 1}`,
        clusterName: 'bench',
        host: '127.0.0.1',
        port: client,
        clusterPort: route,
        routes,
        workDir: join(workDir, `n${index + 1}`),
      }),
  );
  await Promise.all(servers.map((server) => server.start()));
  return {
    urls: servers.map((server) => server.url),
    dispose: async () => {
      await Promise.allSettled(servers.map((server) => server.stop()));
      await rm(workDir, { recursive: true, force: true });
    },
  };
}

/** A JetStream cluster elects its meta leader after the servers meet: the first bucket waits for it. */
async function waitForJetStream(nc: NatsConnection): Promise<void> {
  const deadline = performance.now() + 30_000;
  for (;;) {
    try {
      await ClusterStore.open(nc, { namespace: 'bench', scope: 'ready', replicas: SERVERS });
      return;
    } catch (error) {
      if (performance.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

async function main(): Promise<void> {
  const nats = await startNats();
  const holderConnection = await connect({ servers: nats.urls, name: 'bench-holder' });
  const contenderConnection = await connect({ servers: nats.urls, name: 'bench-contender' });
  try {
    await waitForJetStream(holderConnection);
    console.log(
      `leader lease benchmark: ${SERVERS} nats-server${SERVERS > 1 ? 's, KV replicas ' + SERVERS : ''} (${nats.urls.join(', ')}), ${RUNS} runs, ttl ${TTL_MS} ms`,
    );
    console.log(
      `renewal round trip (CAS update):   ${formatMs(summarize(await renewalRoundTrips(holderConnection)))}`,
    );
    const delays: number[] = [];
    for (let batch = 0; delays.length < RUNS; batch += 1) {
      const scopes = Array.from(
        { length: Math.min(PARALLEL_SCOPES, RUNS - delays.length) },
        (_, i) => `t${batch}-${i}`,
      );
      delays.push(
        ...(await Promise.all(
          scopes.map((scope) => takeoverDelay(holderConnection, contenderConnection, scope)),
        )),
      );
    }
    console.log(`takeover delay after ttl:          ${formatMs(summarize(delays))}`);
  } finally {
    await holderConnection.close();
    await contenderConnection.close();
    await nats.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
