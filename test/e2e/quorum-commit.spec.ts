import { create } from '@bufbuild/protobuf';
import { ValueSchema } from '@bufbuild/protobuf/wkt';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ClusterKeys, ClusterStore } from '../../libs/dcs/src/index.ts';
import { quorumOverlaps } from '../../libs/domain/src/election/index.ts';
import { syncStandbyNames } from '../../libs/domain/src/index.ts';
import { waitUntil, type LocalCluster } from '../../libs/harness/src/index.ts';
import { AcknowledgedWriter } from '../support/acknowledged-writer.ts';
import {
  disposeE2eCluster,
  startE2eCluster,
  waitForHealthyCluster,
} from '../support/e2e-cluster.ts';
import { primaries, withClient } from '../support/postgres-probe.ts';

const SCOPE = 'e2e-quorum';
const TTL_SECONDS = 4;
const KILLS = 20;
let cluster: LocalCluster;
let connection: NatsConnection;
let store: ClusterStore;

beforeAll(async () => {
  cluster = await startE2eCluster(SCOPE, undefined, {
    dcs: { ttl: TTL_SECONDS, loop_wait: 1, retry_timeout: 1 },
  });
  connection = await connect({ servers: cluster.nats.url });
  store = await ClusterStore.open(connection, { namespace: 'natroni', scope: SCOPE });
}, 90_000);

afterAll(async () => {
  await connection?.close();
  await disposeE2eCluster(cluster);
});

async function onePrimary(what: string, timeoutMs: number): Promise<string> {
  return waitUntil(
    async () => {
      const found = await primaries(cluster);
      return found.length === 1 ? found[0] : undefined;
    },
    { timeoutMs, intervalMs: 50, what },
  );
}

/** `ANY k ("a","b")` as PostgreSQL shows it, or an empty list. */
function parseAny(text: string): { numsync: number; names: string[] } {
  const match = /^ANY (\d+) \((.*)\)$/.exec(text.trim());
  if (!match) return { numsync: 0, names: [] };
  return {
    numsync: Number(match[1]),
    names: match[2].split(',').map((name) => name.trim().replace(/^"|"$/g, '')),
  };
}

/**
 * Waits until `primary` wrote the sync key, then reads the key and PostgreSQL's setting until they
 * stop changing between the two reads, and returns whether they overlap as quorum commit requires.
 */
async function keyAndNamesAgree(primary: string): Promise<{ agree: boolean; seen: string }> {
  return waitUntil(
    async () => {
      const before = await store.get(ClusterKeys.sync);
      if (before?.value.leader !== primary) return undefined;
      const text = await withClient(cluster.member(primary), async (client) => {
        const result = await client.query<{ setting: string }>(
          "SELECT setting FROM pg_settings WHERE name = 'synchronous_standby_names'",
        );
        return result.rows[0]?.setting ?? '';
      });
      const after = await store.get(ClusterKeys.sync);
      if (after?.revision !== before.revision) return undefined;
      const key = {
        leader: before.value.leader,
        quorum: before.value.quorum ?? 0,
        voters: syncStandbyNames(before.value.syncStandby),
      };
      return {
        agree: quorumOverlaps(key, parseAny(text)),
        seen: `${JSON.stringify(key)} / '${text}'`,
      };
    },
    { timeoutMs: 15_000, intervalMs: 100, what: `the sync key written by ${primary}` },
  );
}

async function votersNamedBy(primary: string): Promise<void> {
  await waitUntil(
    async () => {
      const sync = await store.get(ClusterKeys.sync);
      return sync?.value.leader === primary && syncStandbyNames(sync.value.syncStandby).length > 0
        ? true
        : undefined;
    },
    { timeoutMs: 15_000, intervalMs: 50, what: `voters named by ${primary}` },
  );
}

test(`quorum commit: ${KILLS} kills of the primary's node at random moments lose no acknowledged write`, async () => {
  let primary = cluster.member(await waitForHealthyCluster(cluster, 60_000)).name;
  const config = (await store.get(ClusterKeys.config))!;
  await store.update(
    ClusterKeys.config,
    {
      ...config.value,
      synchronousMode: create(ValueSchema, { kind: { case: 'stringValue', value: 'quorum' } }),
    },
    config.revision,
  );
  await waitUntil(
    async () => {
      const sync = await store.get(ClusterKeys.sync);
      return sync?.value.leader === primary &&
        sync.value.quorum === 1 &&
        syncStandbyNames(sync.value.syncStandby).length === 2
        ? true
        : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 100, what: 'quorum 1 of the two standbys in the sync key' },
  );
  expect(await keyAndNamesAgree(primary)).toMatchObject({ agree: true });

  await AcknowledgedWriter.prepare(cluster, primary);
  const writer = new AcknowledgedWriter(cluster);
  const disagreements: string[] = [];
  const stuck: number[] = [];
  let failovers = 0;
  for (let kill = 1; kill <= KILLS; kill++) {
    const acknowledged = writer.acknowledged.length;
    await waitUntil(() => (writer.acknowledged.length > acknowledged ? true : undefined), {
      timeoutMs: 20_000,
      what: `an acknowledged write before kill ${kill}`,
    });
    // The winner names its voters before its promotion (docs/quorum-commit.md); this waits for the key.
    await votersNamedBy(primary);
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 1_500));
    const old = cluster.member(primary);
    const pid = await cluster.postmasterPid(old);
    old.election.kill();
    old.agent.kill();
    if (pid) process.kill(pid, 'SIGKILL');
    let next: string | undefined;
    try {
      next = await onePrimary(`another primary after kill ${kill}`, TTL_SECONDS * 3_000);
    } catch {
      // Right after a failover the former leader is a voter: while it is still coming back, the one
      // standby left lacks its vote, and the killed leader takes the lease back once its node returns.
      stuck.push(kill);
    }
    await Promise.all([cluster.restart(old, 'agent'), cluster.restart(old, 'election')]);
    if (next === undefined) next = await onePrimary(`a primary after kill ${kill}`, 30_000);
    else failovers += 1;
    primary = next;
    console.log(`kill ${kill}: ${old.name} -> ${primary} at ${Math.round(performance.now())} ms`);
    const agreement = await keyAndNamesAgree(primary);
    if (!agreement.agree) disagreements.push(`after kill ${kill}: ${agreement.seen}`);
  }
  await writer.stop();
  expect(disagreements).toEqual([]);
  expect(failovers).toBeGreaterThan(KILLS / 2);
  console.log(
    `quorum commit e2e: ${failovers} failovers, kills waiting for the node: ${stuck.join(', ') || 'none'}`,
  );
  expect(await writer.missingOn(primary)).toEqual([]);
}, 280_000);
