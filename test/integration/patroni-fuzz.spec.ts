import { request } from 'node:http';
import { ClusterKeys } from '../../libs/dcs/src/index.ts';
import { AUTH_HEADER, PatroniGatewayFixture } from '../support/patroni-gateway-fixture.ts';

const REQUESTS = 5_000;
const PARALLEL = 16;

/** A small deterministic generator, so that a failure can be replayed from its seed. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const METHODS = [
  'GET',
  'HEAD',
  'OPTIONS',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'TRACE',
  'PROPFIND',
  'get',
];
const PATHS = [
  '/',
  '/primary',
  '/replica',
  '/read-only',
  '/patroni',
  '/cluster',
  '/history',
  '/config',
  '/failsafe',
  '/metrics',
  '/switchover',
  '/failover',
  '/restart',
  '/reload',
  '/reinitialize',
  '/liveness',
  '/readiness',
  '/sync',
  '/async',
  '/quorum',
  '/read-only-sync',
  '/standby-leader',
  '/%',
  '/%zz',
  '//config',
  '/config/../primary',
  '/cluster/x',
  '/' + 'a'.repeat(3000),
  '/\u00e9',
  '/openapi.json',
  '/docs/x',
];
const QUERIES = [
  '',
  '?lag=1MB',
  '?lag=',
  '?lag=%',
  '?lag=1e400',
  '?lag=0x10',
  '?lag=-5',
  '?replication_state=streaming',
  '?tag_=x',
  '?tag_a=%ff',
  '?&&&=&',
  '?lag=1MB&lag=2GB',
  '?mode=write',
  '?' + 'x=1&'.repeat(500),
];
const BODIES = [
  undefined,
  '',
  '{',
  '{}',
  '[]',
  'null',
  '"text"',
  '42',
  '{"leader":5}',
  '{"leader":"pg1","candidate":["pg2"]}',
  '{"candidate":{"a":1}}',
  '{"scheduled_at":123,"leader":"pg1"}',
  '{"schedule":{}}',
  '{"timeout":-1}',
  '{"role":null}',
  '{"ttl":"x"}',
  '{"ttl":1e309}',
  '{"postgresql":{"parameters":[1]}}',
  '{"pause":"maybe"}',
  '{"loop_wait":-1}',
  '{"__proto__":{"ttl":1}}',
  '{"constructor":{"prototype":{}}}',
  '\u0000\u0001',
  '{"force":{},"from_leader":[]}',
  '{"postgres_version":[1]}',
  '{"foo":1}',
];

interface Outcome {
  status: number;
  text: string;
}

function send(
  port: number,
  method: string,
  path: string,
  body: string | undefined,
  auth: boolean,
  big: boolean,
): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const payload = big ? 'x'.repeat(200_000) : body;
    const headers: Record<string, string | number> = {};
    if (auth) headers['authorization'] = AUTH_HEADER;
    if (payload !== undefined) headers['content-length'] = Buffer.byteLength(payload);
    const req = request(
      { host: '127.0.0.1', port, method, path, headers, timeout: 10_000 },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', (error: NodeJS.ErrnoException) => {
      // A server may refuse a request line it cannot parse by closing the connection.
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') resolve({ status: 400, text: '' });
      else reject(error);
    });
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** Patroni's documented 5xx answers; anything else in the 5xx range is a bug. */
function isDocumented(status: number, text: string, method: string, path: string): boolean {
  if (status < 500) return true;
  if (status === 503) return true;
  if (status === 501) return text.includes('Unsupported method');
  if (status === 502) return path.startsWith('/config') || path.startsWith('/failsafe');
  if (status === 500) return text === "Can't schedule restart in the paused state";
  return `${method} ${path}` === '';
}

describe('api-gateway fuzz (real nats-server)', () => {
  let fixture: PatroniGatewayFixture;

  beforeAll(async () => {
    fixture = await PatroniGatewayFixture.start({ switchoverTimeoutMs: 300 });
    await fixture.standardCluster();
  });

  afterAll(async () => {
    await fixture?.dispose();
  });

  it(`survives ${REQUESTS} random and malformed requests without an undocumented 5xx`, async () => {
    const random = generator(20261123);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const before = await fixture.store.get(ClusterKeys.config);
    const failures: string[] = [];
    let configWrites = 0;
    let sent = 0;
    const worker = async (): Promise<void> => {
      while (sent < REQUESTS) {
        sent += 1;
        const method = pick(METHODS);
        const path = pick(PATHS) + pick(QUERIES);
        const body = pick(BODIES);
        const auth = random() < 0.8;
        const big = random() < 0.01;
        const member = pick(['pg1', 'pg2', 'pg3'] as const);
        const outcome = await send(fixture.ports[member], method, path, body, auth, big);
        if (
          outcome.status === 200 &&
          ['PATCH', 'PUT'].includes(method) &&
          path.startsWith('/config')
        )
          configWrites += 1;
        if (
          !isDocumented(outcome.status, outcome.text, method, path) ||
          outcome.text.includes('    at ')
        ) {
          failures.push(
            `${method} ${path.slice(0, 80)} ${JSON.stringify(body)} → ${outcome.status} ${outcome.text.slice(0, 120)}`,
          );
        }
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, () => worker()));
    expect(failures).toEqual([]);
    expect((await fixture.call('pg1', 'GET', '/patroni')).status).toBe(200);
    const after = await fixture.store.get(ClusterKeys.config);
    if (configWrites === 0) expect(after?.revision).toBe(before?.revision);
  });
});
