import {
  PatroniGatewayFixture,
  replicaStatus,
  stoppedStatus,
} from '../support/patroni-gateway-fixture.ts';
import { sample, shapeDifferences } from '../support/patroni-samples.ts';

const HEALTH_PATHS = [
  'root',
  'primary',
  'read-write',
  'standby-leader',
  'leader',
  'replica',
  'read-only',
  'synchronous',
  'read-only-sync',
  'asynchronous',
  'health',
  'liveness',
  'readiness',
];

describe('api-gateway Patroni health checks (real nats-server)', () => {
  let fixture: PatroniGatewayFixture;

  beforeAll(async () => {
    fixture = await PatroniGatewayFixture.start();
    await fixture.standardCluster();
  });

  afterAll(async () => {
    await fixture?.dispose();
  });

  describe.each([
    ['leader', 'pg1'],
    ['replica', 'pg2'],
  ] as const)('on the %s', (role, member) => {
    it.each(HEALTH_PATHS)('GET /%s answers as Patroni does', async (name) => {
      const captured = sample(`${role}_GET_${name}.txt`);
      const answer = await fixture.call(member, 'GET', name === 'root' ? '/' : `/${name}`);
      expect(answer.status).toBe(captured.status);
      if (captured.body.trim() === '') {
        expect(answer.text).toBe('');
      } else {
        const differences = shapeDifferences(JSON.parse(captured.body), JSON.parse(answer.text));
        expect(differences).toEqual([]);
      }
    });

    it('GET /patroni has the keys and types of the sample', async () => {
      const captured = sample(`${role}_GET_patroni.txt`);
      const answer = await fixture.call(member, 'GET', '/patroni');
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toBe('application/json');
      const body = JSON.parse(answer.text) as Record<string, unknown>;
      expect(shapeDifferences(JSON.parse(captured.body), body)).toEqual([]);
      expect(body['role']).toBe(role === 'leader' ? 'primary' : 'replica');
      expect(body['patroni']).toEqual({ version: '0.1.0', scope: fixture.scope, name: member });
    });

    it.each([
      ['OPTIONS', 'primary'],
      ['HEAD', 'replica'],
    ])('%s /%s answers with the status only', async (method, path) => {
      const captured = sample(`${role}_${method}_${path}.txt`);
      const answer = await fixture.call(member, method, `/${path}`);
      expect(answer.status).toBe(captured.status);
      expect(answer.text).toBe('');
    });
  });

  it('HEAD /patroni is a health check on an unknown path: 503', async () => {
    expect((await fixture.call('pg1', 'HEAD', '/patroni')).status).toBe(503);
    expect((await fixture.call('pg1', 'GET', '/foo')).status).toBe(503);
  });

  it('a lagging replica fails /replica?lag=1MB but passes without a limit', async () => {
    await fixture.setStatus(
      replicaStatus('pg3', fixture.scope, fixture.ports.pg3, 67108864 - 4 * 1048576),
    );
    await fixture.waitFor('pg3', '/replica?lag=1MB', 503);
    expect((await fixture.call('pg3', 'GET', '/replica?lag=10MB')).status).toBe(200);
    expect((await fixture.call('pg3', 'GET', '/replica?lag=10mb')).status).toBe(200);
    expect((await fixture.call('pg3', 'GET', '/replica')).status).toBe(200);
    expect((await fixture.call('pg3', 'GET', '/readiness')).status).toBe(503);
    expect((await fixture.call('pg3', 'GET', '/readiness?lag=8MB')).status).toBe(200);
    expect((await fixture.call('pg3', 'GET', '/read-only?lag=1048576')).status).toBe(503);
    const cluster = JSON.parse((await fixture.call('pg1', 'GET', '/cluster')).text) as {
      members: Array<Record<string, unknown>>;
    };
    expect(cluster.members[2]).toMatchObject({ name: 'pg3', lag: 4 * 1048576, lsn: '0/3C00000' });
  });

  it('tags filter replicas and are ignored for the leader endpoints', async () => {
    await fixture.setStatus({
      ...replicaStatus('pg3', fixture.scope, fixture.ports.pg3),
      tags: { zone: 'a', nofailover: true },
    });
    await fixture.waitFor('pg3', '/replica?tag_zone=a', 200);
    expect((await fixture.call('pg3', 'GET', '/replica?tag_zone=b')).status).toBe(503);
    expect((await fixture.call('pg3', 'GET', '/replica?tag_nofailover=true')).status).toBe(200);
    expect((await fixture.call('pg3', 'GET', '/replica?tag_missing=x')).status).toBe(503);
    expect((await fixture.call('pg1', 'GET', '/primary?tag_zone=b')).status).toBe(200);
  });

  it('a stopped member fails every check but liveness, and /patroni says stopped', async () => {
    await fixture.setStatus(stoppedStatus('pg3', fixture.scope, fixture.ports.pg3));
    await fixture.waitFor('pg3', '/health', 503);
    for (const path of ['/replica', '/read-only', '/primary', '/readiness']) {
      expect((await fixture.call('pg3', 'GET', path)).status).toBe(503);
    }
    expect((await fixture.call('pg3', 'GET', '/liveness')).status).toBe(200);
    const body = JSON.parse((await fixture.call('pg3', 'GET', '/patroni')).text) as object;
    expect(body).toMatchObject({ state: 'stopped', role: 'replica' });
    expect(body).not.toHaveProperty('xlog');
  });

  it('a paused cluster shows pause in /patroni, /cluster and the metrics; liveness stays 200', async () => {
    await fixture.setConfig({ ttl: 30, loopWait: 10, retryTimeout: 10, pause: true });
    await fixture.waitFor('pg1', '/patroni', 200);
    await fixture.waitUntilBody('pg1', '/patroni', '"pause":true');
    const cluster = JSON.parse((await fixture.call('pg2', 'GET', '/cluster')).text) as object;
    expect(cluster).toMatchObject({ pause: true });
    expect((await fixture.call('pg1', 'GET', '/metrics')).text).toContain(
      `patroni_is_paused{scope="${fixture.scope}",name="pg1"} 1`,
    );
    expect((await fixture.call('pg1', 'GET', '/primary')).status).toBe(200);
    await fixture.setConfig({ ttl: 30, loopWait: 10, retryTimeout: 10 });
  });

  it('/primary follows the leader key: only the member it names, and only while its status says primary', async () => {
    await fixture.setLeader('pg1', 1);
    await fixture.waitFor('pg1', '/primary', 200);
    await fixture.setLeader('pg2', 2);
    await fixture.waitFor('pg1', '/primary', 503);
    // pg2 holds the lease but its status says replica: nobody is primary.
    expect((await fixture.call('pg2', 'GET', '/primary')).status).toBe(503);
    expect((await fixture.call('pg2', 'GET', '/leader')).status).toBe(503);
    await fixture.setLeader('pg1', 3);
    await fixture.waitFor('pg1', '/primary', 200);
  });
});
