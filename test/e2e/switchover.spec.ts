import { create } from '@bufbuild/protobuf';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ClusterKeys, ClusterStore } from '../../libs/dcs/src/index.ts';
import { waitUntil, type LocalCluster } from '../../libs/harness/src/index.ts';
import { FailoverRequestSchema } from '../../libs/proto/src/index.ts';
import { AcknowledgedWriter } from '../support/acknowledged-writer.ts';
import {
  createProbeTable,
  disposeE2eCluster,
  startE2eCluster,
  waitForHealthyCluster,
} from '../support/e2e-cluster.ts';
import { isPrimary, streamingReplicas, WritableWatch } from '../support/postgres-probe.ts';

let cluster: LocalCluster | undefined;
let connection: NatsConnection | undefined;

afterAll(async () => {
  await connection?.close();
  await disposeE2eCluster(cluster);
});

test('a switchover under writes: the candidate takes over, the old leader follows, no acknowledged row is lost and never two primaries', async () => {
  cluster = await startE2eCluster('e2e-switchover');
  const leader = await waitForHealthyCluster(cluster, 60_000);
  await createProbeTable(cluster, leader);
  await AcknowledgedWriter.prepare(cluster, leader);
  const candidate = cluster.members.find((member) => member.name !== leader)!.name;
  connection = await connect({ servers: cluster.nats.url });
  const store = await ClusterStore.open(connection, {
    namespace: 'natroni',
    scope: 'e2e-switchover',
  });

  const watch = new WritableWatch(cluster);
  const writer = new AcknowledgedWriter(cluster);
  await waitUntil(() => (writer.acknowledged.length >= 50 ? true : undefined), {
    timeoutMs: 10_000,
    what: 'the writer to have 50 rows acknowledged before the switchover',
  });

  const requestedAt = performance.now();
  await store.put(
    ClusterKeys.failover,
    create(FailoverRequestSchema, { leader, member: candidate }),
  );
  await waitUntil(async () => ((await isPrimary(cluster!.member(candidate))) ? true : undefined), {
    timeoutMs: 30_000,
    intervalMs: 20,
    what: `${candidate} to accept writes after the switchover`,
  });
  const candidateWritableMs = performance.now() - requestedAt;
  await waitUntil(
    async () =>
      (await streamingReplicas(cluster!.member(candidate))).includes(leader) ? true : undefined,
    {
      timeoutMs: 30_000,
      intervalMs: 50,
      what: `the old leader ${leader} to stream from ${candidate}`,
    },
  );
  const oldLeaderStreamingMs = performance.now() - requestedAt;
  const before = writer.acknowledged.length;
  await waitUntil(() => (writer.acknowledged.length >= before + 20 ? true : undefined), {
    timeoutMs: 10_000,
    what: 'the writer to have rows acknowledged by the new primary',
  });

  await writer.stop();
  await watch.stop();
  console.log(
    `switchover ${leader} → ${candidate}: candidate writable after ${candidateWritableMs.toFixed(0)} ms, ` +
      `old leader streaming after ${oldLeaderStreamingMs.toFixed(0)} ms, ${writer.acknowledged.length} rows acknowledged`,
  );
  expect(watch.overlaps).toEqual([]);
  expect(await writer.missingOn(candidate)).toEqual([]);
  expect(watch.accepted.get(candidate)).toBeGreaterThan(0);
  expect(await store.get(ClusterKeys.failover)).toBeUndefined();
}, 180_000);
