import { connect, type NatsConnection } from '@nats-io/transport-node';
import { NatroniClient, type EventSubscription } from '../../libs/client/src/index.ts';
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

/** The first `sync_changed` event whose new key names `standby`, within 10 s. */
async function syncChangeNaming(
  standby: string,
  events: EventSubscription,
): Promise<{ member: string; previous: string | undefined }> {
  const timer = setTimeout(() => events.stop(), 10_000);
  try {
    for await (const { event } of events) {
      if (
        event.detail.case === 'syncChanged' &&
        event.detail.value.current?.syncStandby === standby
      )
        return { member: event.member, previous: event.detail.value.previous?.syncStandby };
    }
  } finally {
    clearTimeout(timer);
    events.stop();
  }
  throw new Error(`no sync_changed event named ${standby} as synchronous standby within 10 s`);
}

test('synchronous mode: after the primary is killed, the synchronous standby takes over with every acknowledged transaction', async () => {
  const leader = cluster.member(await waitForHealthyCluster(cluster, 60_000));
  const store = await ClusterStore.open(connection, { namespace: 'natroni', scope: SCOPE });
  const events = await new NatroniClient(connection, { scope: SCOPE }).events({
    kinds: ['sync_changed'],
  });
  const standby = await enableSynchronousMode(store, leader.name);
  const announced = await syncChangeNaming(standby, events);
  expect(announced).toEqual({ member: leader.name, previous: undefined });
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
