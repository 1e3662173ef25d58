import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { freeListenPort, NatsClusterServer, waitUntil } from '../../libs/harness/src/index.ts';
import { connectToNats, MAX_PINGS_OUT, PING_INTERVAL_MS } from '../../libs/nats/src/index.ts';

/**
 * A NATS server that stops answering without closing its connections (SIGSTOP here; a partitioned
 * host in production) must not hold a service's connection: the service moves to another server of
 * the cluster by itself, within a few missed PINGs, long before a lease's ttl runs out.
 */
describe('a service connection on a NATS server that stops answering', () => {
  let workDir: string;
  const servers: NatsClusterServer[] = [];
  let connection: NatsConnection | undefined;
  let stopped: NatsClusterServer | undefined;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'natroni-silent-nats-'));
    const ports = [];
    for (let index = 0; index < 3; index += 1)
      ports.push({ client: await freeListenPort(), route: await freeListenPort() });
    const routes = ports.map((port) => `nats-route://127.0.0.1:${port.route}`);
    for (const [index, port] of ports.entries()) {
      servers.push(
        new NatsClusterServer({
          name: `n${index + 1}`,
          clusterName: 'silent',
          host: '127.0.0.1',
          port: port.client,
          clusterPort: port.route,
          routes,
          workDir: join(workDir, `n${index + 1}`),
        }),
      );
    }
    await Promise.all(servers.map((server) => server.start()));
  }, 60_000);

  afterAll(async () => {
    if (stopped?.pid) process.kill(stopped.pid, 'SIGCONT');
    await connection?.close().catch(() => undefined);
    await Promise.allSettled(servers.map((server) => server.stop()));
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('leaves that server for another within a few missed PINGs', async () => {
    const nc = await connectToNats({
      service: 'election',
      namespace: 'natroni',
      scope: 'silent',
      member: 'pg1',
      nats: { servers: servers.map((server) => server.url) },
      http: { host: '127.0.0.1', port: 0 },
    });
    connection = nc;
    const first = nc.info?.server_name;
    stopped = servers.find((server) => server.options.name === first);
    expect(stopped?.pid).toBeDefined();
    process.kill(stopped!.pid!, 'SIGSTOP');
    // With nats.js's default (a PING every 2 minutes) the client would stay on the frozen server.
    const boundMs = (MAX_PINGS_OUT + 1) * PING_INTERVAL_MS + 5_000;
    const moved = await waitUntil(
      async () => {
        const now = nc.info?.server_name;
        if (now === undefined || now === first) return undefined;
        await nc.flush();
        return now;
      },
      {
        timeoutMs: boundMs,
        what: `the connection to leave the frozen server ${first} within ${boundMs} ms`,
      },
    );
    expect(moved).not.toBe(first);
    expect(servers.map((server) => server.options.name)).toContain(moved);
  }, 60_000);
});
