import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import {
  freePort,
  NatsServerProcess,
  ServiceProcess,
  waitUntil,
} from '../../libs/harness/src/index.ts';

const REPO = resolve(__dirname, '../..');
let nats: NatsServerProcess;
let gateway: ServiceProcess | undefined;
let dir: string;

beforeAll(async () => {
  nats = await NatsServerProcess.start();
  dir = await mkdtemp(join(tmpdir(), 'natroni-test-tls-'));
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-keyout',
    join(dir, 'key.pem'),
    '-out',
    join(dir, 'cert.pem'),
  ]);
});

afterAll(async () => {
  gateway?.kill();
  await nats?.dispose();
  await rm(dir, { recursive: true, force: true });
});

function httpsGet(port: number, path: string, ca: Buffer): Promise<number> {
  return new Promise((resolveStatus, reject) => {
    const call = request({ host: '127.0.0.1', port, path, ca, timeout: 3_000 }, (response) => {
      response.resume();
      resolveStatus(response.statusCode ?? 0);
    });
    call.on('error', reject);
    call.end();
  });
}

test('with restapi certificate and key, the member listeners serve Patroni health checks over HTTPS', async () => {
  const memberPort = await freePort();
  gateway = ServiceProcess.start({
    app: 'api-gateway',
    repoDir: REPO,
    httpPort: await freePort(),
    env: {
      NATRONI_SCOPE: 'tls',
      NATRONI_NATS_SERVERS: nats.url,
      NATRONI_GATEWAY_MEMBERS: `pg1=127.0.0.1:${memberPort}`,
      NATRONI_RESTAPI_CERTFILE: join(dir, 'cert.pem'),
      NATRONI_RESTAPI_KEYFILE: join(dir, 'key.pem'),
    },
  });
  await gateway.healthWith(200, 20_000);
  const ca = await readFile(join(dir, 'cert.pem'));
  // No member status yet: Patroni's answer for an unknown member is 503, over TLS.
  const status = await waitUntil(() => httpsGet(memberPort, '/primary', ca), {
    timeoutMs: 10_000,
    what: 'an HTTPS answer from the member listener',
  });
  expect(status).toBe(503);
  expect(await httpsGet(memberPort, '/cluster', ca)).toBe(200);
});
