import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { freeListenPort, ServiceProcess, waitUntil } from '../../libs/harness/src/index.ts';
import { PatroniGatewayFixture } from '../support/patroni-gateway-fixture.ts';

/**
 * The built gateway, one process, holding 5,000 idle kept-alive connections on a member listener: its
 * resident memory grows by less than 50 MB, and health checks on new connections are still answered.
 * Each process holds 5,000 sockets and more, so both need that many file descriptors: Node raises its
 * soft limit to the hard one at start, and the test says so plainly when the machine allows fewer.
 */
const REPO = resolve(__dirname, '../..');
const IDLE_CONNECTIONS = 5_000;
const MAX_GROWTH_BYTES = 50 * 1024 * 1024;
const BATCH = 250;
const CHECK = 'HEAD /primary HTTP/1.1\r\nHost: x\r\n\r\n';

function residentBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kilobytes = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kilobytes === undefined) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(kilobytes) * 1024;
}

function openFileLimit(pid: number | 'self'): number {
  const limits = readFileSync(`/proc/${pid}/limits`, 'utf8');
  const soft = /^Max open files\s+(\S+)/m.exec(limits)?.[1];
  return soft === 'unlimited' ? Infinity : Number(soft);
}

/** A connection that has asked one health check and been answered, kept open. */
function checkedConnection(port: number): Promise<Socket> {
  return new Promise((resolvePromise, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to HEAD /primary within 10 s; received ${received}`));
    }, 10_000);
    socket.setEncoding('latin1');
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('data', (data: string) => {
      received += data;
      if (!received.includes('\r\n\r\n')) return;
      clearTimeout(timer);
      if (received.startsWith('HTTP/1.1 200 ')) resolvePromise(socket);
      else reject(new Error(`HEAD /primary answered ${received}`));
    });
    socket.write(CHECK);
  });
}

describe('api-gateway with 5,000 idle kept-alive connections (built, real nats-server)', () => {
  let fixture: PatroniGatewayFixture;
  let gateway: ServiceProcess | undefined;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    fixture = await PatroniGatewayFixture.withoutGateway();
    gateway = ServiceProcess.start({
      app: 'api-gateway',
      repoDir: REPO,
      httpPort: await freeListenPort(),
      // The idle timeout is long enough that no connection is closed while the test holds them.
      env: {
        ...fixture.gatewayEnvironment(),
        NATRONI_GATEWAY_WORKERS: '1',
        NATRONI_GATEWAY_IDLE_TIMEOUT: '300',
      },
    });
    await gateway.healthWith(200, 45_000);
    await fixture.standardCluster();
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await gateway?.stop('SIGTERM', 15_000);
    await fixture?.dispose();
  });

  it('grows by less than 50 MB and keeps answering health checks', async () => {
    const pid = gateway?.pid;
    if (pid === undefined) throw new Error('the gateway did not start');
    const needed = IDLE_CONNECTIONS + 500;
    for (const [who, limit] of [
      ['this test process', openFileLimit('self')],
      ['the gateway', openFileLimit(pid)],
    ] as const) {
      if (limit < needed)
        throw new Error(
          `${who} may open ${limit} files, fewer than the ${needed} this test needs: raise the hard limit (ulimit -Hn)`,
        );
    }
    // Warm: the code paths of a check and the first connections, so that growth is the connections'.
    for (let index = 0; index < 200; index += 1)
      (await checkedConnection(fixture.ports.pg1)).destroy();
    await new Promise((resolveWait) => setTimeout(resolveWait, 500));
    const before = residentBytes(pid);

    while (sockets.length < IDLE_CONNECTIONS) {
      const batch = await Promise.all(
        Array.from({ length: BATCH }, () => checkedConnection(fixture.ports.pg1)),
      );
      sockets.push(...batch);
    }
    const grown = residentBytes(pid) - before;
    const open = sockets.filter((socket) => !socket.destroyed && socket.readyState === 'open');
    expect(open).toHaveLength(IDLE_CONNECTIONS);
    expect(grown).toBeLessThan(MAX_GROWTH_BYTES);

    await waitUntil(
      async () =>
        (await fetch(fixture.url('pg1', '/primary'), { signal: AbortSignal.timeout(5_000) }))
          .status === 200
          ? true
          : undefined,
      { timeoutMs: 10_000, intervalMs: 100, what: 'pg1 GET /primary to answer 200 beside them' },
    );
    expect((await fixture.call('pg2', 'GET', '/replica')).status).toBe(200);
  });
});
