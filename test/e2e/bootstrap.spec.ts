import { waitUntil, type LocalCluster } from '../../libs/harness/src/index.ts';
import {
  disposeE2eCluster,
  startE2eCluster,
  waitForHealthyCluster,
} from '../support/e2e-cluster.ts';
import { primaries, withClient } from '../support/postgres-probe.ts';

let cluster: LocalCluster | undefined;

afterAll(async () => {
  await disposeE2eCluster(cluster);
});

test('three members bootstrap into one primary and two streaming replicas that see its writes', async () => {
  cluster = await startE2eCluster('e2e-bootstrap');
  // The start returns only once every member's PostgreSQL accepts connections.
  const answers = await Promise.all(
    cluster.members.map((member) =>
      withClient(member, async (client) => (await client.query('SELECT 1 AS one')).rows[0].one),
    ),
  );
  expect(answers).toEqual([1, 1, 1]);
  const primary = await waitForHealthyCluster(cluster, 60_000);
  expect(await primaries(cluster)).toEqual([primary]);

  await withClient(cluster.member(primary), async (client) => {
    await client.query('CREATE TABLE bootstrap_check (note text)');
    await client.query("INSERT INTO bootstrap_check VALUES ('written on the primary')");
  });
  for (const replica of cluster.members.filter((member) => member.name !== primary)) {
    const seen = await waitForRow(replica);
    expect(seen).toBe('written on the primary');
  }
}, 120_000);

function waitForRow(member: LocalCluster['members'][number]): Promise<string> {
  return waitUntil(
    () =>
      withClient(member, async (client) => {
        const result = await client.query<{ note: string }>('SELECT note FROM bootstrap_check');
        return result.rows[0]?.note;
      }),
    {
      timeoutMs: 10_000,
      intervalMs: 100,
      what: `${member.name} to see the row written on the primary`,
    },
  );
}
