import { freePort, waitUntil, type LocalCluster } from '../../libs/harness/src/index.ts';
import {
  disposeE2eCluster,
  startE2eCluster,
  waitForHealthyCluster,
} from '../support/e2e-cluster.ts';
import { haproxyConfigFor, HaproxyProcess } from '../support/haproxy-process.ts';
import { throughHaproxy, HaproxyWriter as Writer } from '../support/haproxy-writer.ts';
import { withClient } from '../support/postgres-probe.ts';

/**
 * The HAProxy recipe (deploy/haproxy/haproxy.cfg) with the real Debian haproxy in front of a local
 * cluster: a writer inserts through the primary port all along a switchover. Each row records
 * inet_server_port(), i.e. the member that acknowledged it. No write may land on a replica: a replica
 * refuses writes anyway, and a write acknowledged by a demoted primary would be lost when it rejoins,
 * so the proof is that every acknowledged insert is on the final primary, and that the old primary
 * acknowledged nothing after the new one did.
 */
let cluster: LocalCluster | undefined;
let haproxy: HaproxyProcess | undefined;

afterAll(async () => {
  await haproxy?.stop();
  await disposeE2eCluster(cluster);
});

test('writes through the primary port follow a switchover and never land on a replica', async () => {
  cluster = await startE2eCluster('e2e-haproxy');
  const local = cluster;
  const oldPrimary = local.member(await waitForHealthyCluster(local, 60_000));
  const candidate = local.members.find((member) => member !== oldPrimary);
  if (!candidate) throw new Error('the cluster has no replica');
  await withClient(oldPrimary, (client) =>
    client.query('CREATE TABLE haproxy_writes (id bigserial PRIMARY KEY, seq int NOT NULL)'),
  );

  const ports = { primary: await freePort(), replicas: await freePort() };
  haproxy = await HaproxyProcess.start(local.options.baseDir, await haproxyConfigFor(local, ports));
  const proxy = haproxy;
  const serverPort = (port: number) =>
    throughHaproxy(port, async (client) => {
      const result = await client.query<{ port: number; recovery: boolean }>(
        'SELECT inet_server_port() AS port, pg_is_in_recovery() AS recovery',
      );
      return result.rows[0];
    });
  const answered =
    (port: number, wanted: (row: { port: number; recovery: boolean }) => boolean) => async () => {
      if (proxy.exited) throw new Error(`haproxy exited: ${proxy.recentOutput}`);
      const row = await serverPort(port).catch(() => undefined);
      return row && wanted(row) ? row : undefined;
    };
  await waitUntil(
    answered(ports.primary, (row) => row.port === oldPrimary.ports.postgres && !row.recovery),
    {
      timeoutMs: 15_000,
      intervalMs: 100,
      what: `HAProxy's primary port to reach ${oldPrimary.name}`,
    },
  );
  await waitUntil(
    answered(ports.replicas, (row) => row.recovery),
    { timeoutMs: 15_000, intervalMs: 100, what: "HAProxy's replicas port to reach a replica" },
  );

  const writer = new Writer(ports.primary);
  try {
    await waitUntil(async () => writer.acknowledged.length >= 20 || undefined, {
      timeoutMs: 15_000,
      intervalMs: 50,
      what: '20 writes acknowledged through HAProxy before the switchover',
    });
    const response = await fetch(`http://127.0.0.1:${local.members[0].ports.gateway}/switchover`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` },
      body: JSON.stringify({ leader: oldPrimary.name, candidate: candidate.name }),
      signal: AbortSignal.timeout(60_000),
    });
    expect([response.status, await response.text()]).toEqual([
      200,
      `Successfully switched over to "${candidate.name}"`,
    ]);
    await waitUntil(
      async () => writer.acknowledgedBy(candidate.ports.postgres).length >= 20 || undefined,
      {
        timeoutMs: 30_000,
        intervalMs: 50,
        what: `20 writes through HAProxy acknowledged by the new primary ${candidate.name}`,
      },
    );
  } finally {
    await writer.stop();
  }

  const acknowledged = writer.acknowledged;
  const primaryPorts = [oldPrimary.ports.postgres, candidate.ports.postgres];
  expect(acknowledged.filter((write) => !primaryPorts.includes(write.port))).toEqual([]);
  const lastOnOld = Math.max(...writer.acknowledgedBy(oldPrimary.ports.postgres).map((w) => w.seq));
  const firstOnNew = Math.min(...writer.acknowledgedBy(candidate.ports.postgres).map((w) => w.seq));
  expect(lastOnOld).toBeLessThan(firstOnNew);

  const stored = await withClient(candidate, async (client) => {
    const result = await client.query<{ id: string; seq: number }>(
      'SELECT id, seq FROM haproxy_writes',
    );
    return new Map(result.rows.map((row) => [String(row.id), row.seq]));
  });
  const missing = acknowledged.filter((write) => stored.get(write.id) !== write.seq);
  expect(missing).toEqual([]);

  await waitUntil(
    answered(ports.replicas, (row) => row.recovery),
    {
      timeoutMs: 15_000,
      intervalMs: 100,
      what: "HAProxy's replicas port to reach a replica after the switchover",
    },
  );
}, 180_000);
