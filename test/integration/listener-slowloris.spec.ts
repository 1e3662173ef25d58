import { connect, type Socket } from 'node:net';
import { request } from 'node:http';
import { DEFAULT_LISTENER_SETTINGS } from '../../apps/api-gateway/src/listener-settings.ts';
import { PatroniGatewayFixture } from '../support/patroni-gateway-fixture.ts';

/**
 * A slowloris attack on a member listener: 500 connections each sending one byte of a request head per
 * second, reconnecting when closed, while a load balancer checks /primary ten times a second on fresh
 * connections. Every check is answered, and the head timeout closes the slow connections with Node's
 * 408. How fast the checks are answered meanwhile is a figure of bench:gateway, not asserted here.
 */
const SLOW_CONNECTIONS = 500;
const HEAD_TIMEOUT_MS = 3_000;
const ATTACK_MS = 8_000;
const CHECK_INTERVAL_MS = 100;
/** Generous for a loaded machine: a check that takes longer was not answered. */
const CHECK_BOUND_MS = 5_000;
const SLOW_HEAD = 'GET /primary HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(10_000);

function check(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/primary', agent: false, timeout: CHECK_BOUND_MS },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET /primary took over ${CHECK_BOUND_MS} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Slow connections, each kept at one byte a second, reopened when the server closes one. */
class Slowloris {
  readonly closes: string[] = [];
  private readonly sockets = new Map<Socket, { sent: number; received: string }>();
  private readonly ticker: ReturnType<typeof setInterval>;
  private running = true;

  constructor(private readonly port: number) {
    for (let index = 0; index < SLOW_CONNECTIONS; index += 1) this.open();
    this.ticker = setInterval(() => {
      for (const [socket, state] of this.sockets) {
        if (state.sent < SLOW_HEAD.length) socket.write(SLOW_HEAD[state.sent]);
        state.sent += 1;
      }
    }, 1_000);
  }

  private open(): void {
    const socket = connect(this.port, '127.0.0.1');
    const state = { sent: 0, received: '' };
    socket.setEncoding('latin1');
    socket.on('data', (data: string) => (state.received += data));
    socket.on('error', () => undefined);
    socket.once('close', () => {
      this.sockets.delete(socket);
      if (!this.running) return;
      this.closes.push(state.received);
      this.open();
    });
    this.sockets.set(socket, state);
  }

  stop(): void {
    this.running = false;
    clearInterval(this.ticker);
    for (const socket of this.sockets.keys()) socket.destroy();
  }
}

describe('a member listener under a slowloris attack (real nats-server)', () => {
  let fixture: PatroniGatewayFixture;

  beforeAll(async () => {
    fixture = await PatroniGatewayFixture.start({
      listener: { ...DEFAULT_LISTENER_SETTINGS, headTimeoutMs: HEAD_TIMEOUT_MS },
    });
    await fixture.standardCluster();
  });

  afterAll(async () => {
    await fixture?.dispose();
  });

  it('answers every health check, and closes the slow connections at the head timeout', async () => {
    const attack = new Slowloris(fixture.ports.pg1);
    const checks: Array<Promise<number>> = [];
    try {
      const started = performance.now();
      while (performance.now() - started < ATTACK_MS) {
        checks.push(check(fixture.ports.pg1));
        await new Promise((resolve) => setTimeout(resolve, CHECK_INTERVAL_MS));
      }
      const statuses = await Promise.all(checks);
      expect(statuses.filter((status) => status !== 200)).toEqual([]);
      expect(statuses.length).toBeGreaterThanOrEqual(ATTACK_MS / CHECK_INTERVAL_MS / 2);
    } finally {
      attack.stop();
    }
    // Each slow connection outlived the head timeout at least once in the attack's time.
    expect(attack.closes.length).toBeGreaterThanOrEqual(SLOW_CONNECTIONS);
    const other = attack.closes.filter(
      (received) => !received.startsWith('HTTP/1.1 408 Request Timeout\r\n'),
    );
    expect(other).toEqual([]);
  });
});
