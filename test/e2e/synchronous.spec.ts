import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ClusterStore } from '../../libs/dcs/src/index.ts';
import { waitUntil, type LocalCluster } from '../../libs/harness/src/index.ts';
import { AcknowledgedWriter } from '../support/acknowledged-writer.ts';
import { enableSynchronousMode } from '../support/synchronous-mode.ts';
import {
  disposeE2eCluster,
  E2E_TTL_SECONDS,
  startE2eCluster,
  waitForHealthyCluster,
} from '../support/e2e-cluster.ts';
import { primaries, withClient } from '../support/postgres-probe.ts';

const SCOPE = 'e2e-sync';
let cluster: LocalCluster;
let connection: NatsConnection;

beforeAll(async () => {
  cluster = await startE2eCluster(SCOPE);
  connection = await connect({ servers: cluster.nats.url });
}, 90_000);

afterAll(async () => {
  await connection?.close();
  await disposeE2eCluster(cluster);
});

test('synchronous mode: after the primary is killed, the synchronous standby takes over with every acknowledged transaction', async () => {
  const leader = cluster.member(await waitForHealthyCluster(cluster, 60_000));
  const store = await ClusterStore.open(connection, { namespace: 'natroni', scope: SCOPE });
  const standby = await enableSynchronousMode(store, leader.name);
  const syncState = await withClient(leader, async (client) => {
    const result = await client.query<{ sync_state: string }>(
      'SELECT sync_state FROM pg_stat_replication WHERE application_name = $1',
      [standby],
    );
    return result.rows[0]?.sync_state;
  });
  expect(syncState).toBe('sync');

  await AcknowledgedWriter.prepare(cluster, leader.name);
  const writer = new AcknowledgedWriter(cluster);
  await waitUntil(() => (writer.acknowledged.length >= 200 ? true : undefined), {
    timeoutMs: 20_000,
    what: '200 rows acknowledged by the synchronous primary',
  });
  const pid = await cluster.postmasterPid(leader);
  leader.election.kill();
  leader.agent.kill();
  if (pid) process.kill(pid, 'SIGKILL');
  await writer.stop();

  const promoted = await waitUntil(
    async () => {
      const found = await primaries(cluster);
      return found.length === 1 ? found[0] : undefined;
    },
    { timeoutMs: E2E_TTL_SECONDS * 3000, intervalMs: 50, what: 'a new primary after the kill' },
  );
  expect(promoted).toBe(standby);
  expect(await writer.missingOn(promoted)).toEqual([]);
}, 180_000);
