import { join } from 'node:path';
import pg from 'pg';
import { waitUntil, type LocalCluster, type ServiceProcess } from '../../libs/harness/src/index.ts';
import {
  disposeE2eCluster,
  startE2eCluster,
  waitForHealthyCluster,
} from '../support/e2e-cluster.ts';
import { withClient } from '../support/postgres-probe.ts';
import {
  connectionOptions,
  PgbouncerProcess,
  startRouterUpdater,
} from '../support/router-updater.ts';
import { ConnectionWriter } from '../support/router-writers.ts';

/**
 * The router updater in front of a real PgBouncer in transaction pooling: at each switchover request it
 * pauses the database entry, then points it at the new primary, reloads and resumes. The clients keep
 * their connections; their writes wait during the switchover instead of failing. The only exception
 * PgBouncer allows: a transaction still running on the old primary when it stops.
 */
let cluster: LocalCluster | undefined;
let updater: ServiceProcess | undefined;
let pgbouncer: PgbouncerProcess | undefined;
const clients: pg.Client[] = [];

afterAll(async () => {
  await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
  updater?.kill();
  await pgbouncer?.stop();
  await disposeE2eCluster(cluster);
});

const WRITERS = 4;

/** What a client sees when its transaction runs on the old primary as the fast shutdown ends it. */
const IN_FLIGHT_AT_STOP = /administrator command|server conn crashed/;

test('ten switchovers through PgBouncer: client connections kept, no acknowledged write lost', async () => {
  cluster = await startE2eCluster('e2e-router-pgbouncer');
  const local = cluster;
  let primary = local.member(await waitForHealthyCluster(local, 60_000));
  await withClient(primary, (client) =>
    client.query('CREATE TABLE pool_writes (id bigserial PRIMARY KEY, seq int NOT NULL)'),
  );
  pgbouncer = await PgbouncerProcess.start(
    local.options.baseDir,
    { port: primary.ports.postgres },
    join(local.options.baseDir, 'logs', 'pgbouncer.log'),
  );
  const pool = pgbouncer;
  updater = await startRouterUpdater(local, {
    pgbouncer: [
      {
        name: 'pool1',
        admin: pool.adminUrl,
        databases_file: pool.databasesFile,
        databases: { appdb: connectionOptions() },
      },
    ],
  });
  for (let index = 0; index < WRITERS; index += 1) {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: pool.port,
      user: 'app',
      database: 'appdb',
      connectionTimeoutMillis: 5_000,
    });
    client.on('error', () => undefined);
    await waitUntil(async () => (await client.connect().then(() => true)) || undefined, {
      timeoutMs: 10_000,
      intervalMs: 200,
      what: `client ${index} to connect through PgBouncer (${pool.recentOutput})`,
    });
    clients.push(client);
  }
  const appClients = async () =>
    (await pool.show('CLIENTS')).filter((row) => row.database === 'appdb').length;
  expect(await appClients()).toBe(WRITERS);

  const writers = clients.map((client) => new ConnectionWriter(client, 'pool_writes'));
  try {
    for (let round = 0; round < 10; round += 1) {
      const candidate = local.members[(local.members.indexOf(primary) + 1) % local.members.length];
      // Each switchover starts from a settled cluster: the demoted primary streams again.
      await waitForHealthyCluster(local, 30_000);
      const response = await fetch(
        `http://127.0.0.1:${local.members[0].ports.gateway}/switchover`,
        {
          method: 'POST',
          headers: { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` },
          body: JSON.stringify({ leader: primary.name, candidate: candidate.name }),
          signal: AbortSignal.timeout(30_000),
        },
      );
      expect([response.status, await response.text()]).toEqual([
        200,
        `Successfully switched over to "${candidate.name}"`,
      ]);
      const before = writers.map((writer) => writer.acknowledged.length);
      await waitUntil(
        async () =>
          (writers.some((writer) => !writer.closed) &&
            writers.every(
              (writer, index) =>
                writer.closed ||
                writer.acknowledgedBy(candidate.ports.postgres, before[index]).length > 0,
            )) ||
          undefined,
        {
          timeoutMs: 10_000,
          intervalMs: 20,
          what: `every open client's writes through PgBouncer to reach ${candidate.name} (round ${round + 1}; closed: ${writers.map((writer) => writer.closed).join(', ')}; errors: ${writers.flatMap((writer) => writer.errors.slice(-2)).join(' | ')})`,
        },
      );
      primary = candidate;
    }
  } finally {
    await Promise.all(writers.map((writer) => writer.stop()));
  }
  // PgBouncer cannot move a transaction: a client whose transaction still ran on the old primary when
  // its fast shutdown began is closed with that server connection. Every other client connection is
  // kept, and its writes waited through the pause instead of failing.
  const kept = writers.filter((writer) => !writer.closed);
  const closed = writers.filter((writer) => writer.closed);
  expect(closed.map((writer) => writer.errors)).toEqual(
    closed.map(() => expect.arrayContaining([expect.stringMatching(IN_FLIGHT_AT_STOP)])),
  );
  expect(await appClients()).toBe(kept.length);
  expect(kept.map((writer) => writer.errors)).toEqual(kept.map(() => []));
  // The updater's pause races the leader's stop (both follow the failover key), so how many clients are
  // caught in flight varies from run to run (two of four in one run); without the pause every writer,
  // always in a transaction, would be caught within ten switchovers.
  expect(kept.length).toBeGreaterThan(0);
  const stored = await withClient(primary, async (client) => {
    const result = await client.query<{ id: string; seq: number }>(
      'SELECT id, seq FROM pool_writes',
    );
    return new Map(result.rows.map((row) => [String(row.id), row.seq]));
  });
  const acknowledged = writers.flatMap((writer) => writer.acknowledged);
  expect(acknowledged.length).toBeGreaterThanOrEqual(10);
  expect(acknowledged.filter((write) => stored.get(write.id) !== write.seq)).toEqual([]);
}, 150_000);
