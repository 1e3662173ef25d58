import { create } from '@bufbuild/protobuf';
import { ClusterKeys } from '../../libs/dcs/src/index.ts';
import { waitUntil } from '../../libs/harness/src/index.ts';
import { LeaseRecordSchema } from '../../libs/proto/src/index.ts';
import {
  PatroniGatewayFixture,
  primaryStatus,
  replicaStatus,
  SAMPLE_CONFIG,
} from '../support/patroni-gateway-fixture.ts';
import { sample } from '../support/patroni-samples.ts';

const IN_THE_PAST = '2001-01-01T00:00:00+00:00';
const IN_THE_FUTURE = '2099-01-01T12:00:00+00:00';

describe('api-gateway Patroni actions (real nats-server)', () => {
  let fixture: PatroniGatewayFixture;

  beforeAll(async () => {
    fixture = await PatroniGatewayFixture.start();
    await fixture.standardCluster();
  });

  afterAll(async () => {
    await fixture?.dispose();
  });

  describe('switchover and failover validation, one case each', () => {
    it.each([
      [
        '/failover',
        '{"foo":"bar"}',
        400,
        'Failover could be performed only to a specific candidate',
      ],
      [
        '/switchover',
        '{"candidate":"pg2"}',
        400,
        'Switchover could be performed only from a specific leader',
      ],
      [
        '/failover',
        `{"candidate":"pg2","scheduled_at":"${IN_THE_FUTURE}"}`,
        400,
        "Failover can't be scheduled",
      ],
      [
        '/switchover',
        '{"leader":"pg1","scheduled_at":"2099-01-01T12:00:00"}',
        400,
        'Timezone information is mandatory for the scheduled switchover',
      ],
      [
        '/switchover',
        `{"leader":"pg1","scheduled_at":"${IN_THE_PAST}"}`,
        422,
        'Cannot schedule switchover in the past',
      ],
      [
        '/switchover',
        '{"leader":"pg1","scheduled_at":"soon"}',
        422,
        'Unable to parse scheduled timestamp. It should be in an unambiguous format, e.g. ISO 8601',
      ],
      [
        '/switchover',
        '{"leader":"pg1","candidate":"pg1"}',
        400,
        'Switchover target and source are the same',
      ],
      [
        '/failover',
        '{"leader":"pg1","candidate":"pg1"}',
        400,
        'Switchover target and source are the same',
      ],
      ['/switchover', '{"leader":"pg2","candidate":"pg3"}', 412, 'leader name does not match'],
      ['/switchover', '{"leader":"pg1","candidate":"pg9"}', 412, 'candidate does not exists'],
      ['/failover', '{"candidate":"pg9"}', 412, 'candidate does not exists'],
    ])('POST %s %s → %d %s', async (path, body, status, message) => {
      const answer = await fixture.call('pg1', 'POST', path, body);
      expect(answer.status).toBe(status);
      expect(answer.text).toBe(message);
      expect(answer.headers.get('content-type')).toBe('text/html');
    });

    it('matches the captured nonexistent-candidate reply', async () => {
      const captured = sample('leader_POST_switchover_nonexistent_candidate.txt');
      const answer = await fixture.call(
        'pg2',
        'POST',
        '/switchover',
        '{"leader": "pg1", "candidate": "pg9"}',
      );
      expect(answer.status).toBe(captured.status);
      expect(answer.text).toBe(captured.body);
    });

    it.each(['/switchover', '/failover'])(
      'an empty body on POST %s is the 400 error page',
      async (path) => {
        const captured = sample(`leader_POST_${path.slice(1)}_empty_body.txt`);
        const answer = await fixture.call('pg1', 'POST', path, '{}');
        expect(answer.status).toBe(400);
        expect(answer.text).toBe(captured.body);
      },
    );

    it('a candidate tagged nofailover → no good candidates', async () => {
      const tagged = {
        ...replicaStatus('pg2', fixture.scope, fixture.ports.pg2),
        tags: { nofailover: true },
      };
      await fixture.setStatus(tagged);
      await fixture.waitUntilBody('pg2', '/patroni', 'nofailover');
      const answer = await fixture.call('pg1', 'POST', '/failover', '{"candidate":"pg2"}');
      expect(answer).toMatchObject({
        status: 412,
        text: 'failover is not possible: no good candidates have been found',
      });
      await fixture.setStatus(replicaStatus('pg2', fixture.scope, fixture.ports.pg2));
    });

    it('synchronous mode: a candidate outside /sync and no sync standby are refused', async () => {
      await fixture.setConfig({
        ...SAMPLE_CONFIG,
        synchronousMode: { kind: { case: 'boolValue', value: true } },
      });
      await fixture.waitUntilBody('pg1', '/config', 'synchronous_mode');
      expect(
        await fixture.call('pg1', 'POST', '/switchover', '{"leader":"pg1","candidate":"pg2"}'),
      ).toMatchObject({
        status: 412,
        text: 'candidate name does not match with sync_standby',
      });
      expect(await fixture.call('pg1', 'POST', '/switchover', '{"leader":"pg1"}')).toMatchObject({
        status: 412,
        text: 'switchover is not possible: can not find sync_standby',
      });
      await fixture.setConfig(SAMPLE_CONFIG);
      await fixture.waitUntilBody('pg1', '/patroni', '"patroni"');
    });

    it('paused: scheduling and switching over without a candidate are refused', async () => {
      await fixture.setConfig({ ...SAMPLE_CONFIG, pause: true });
      await fixture.waitUntilBody('pg1', '/patroni', '"pause":true');
      expect(
        await fixture.call(
          'pg1',
          'POST',
          '/switchover',
          `{"leader":"pg1","scheduled_at":"${IN_THE_FUTURE}"}`,
        ),
      ).toMatchObject({
        status: 400,
        text: "Can't schedule switchover in the paused state",
      });
      expect(await fixture.call('pg1', 'POST', '/switchover', '{"leader":"pg1"}')).toMatchObject({
        status: 400,
        text: 'Switchover is possible only to a specific candidate in a paused state',
      });
      expect(
        await fixture.call('pg1', 'POST', '/restart', `{"schedule":"${IN_THE_FUTURE}"}`),
      ).toMatchObject({
        status: 500,
        text: "Can't schedule restart in the paused state",
      });
      await fixture.setConfig(SAMPLE_CONFIG);
      await waitUntil(
        async () =>
          (await fixture.call('pg1', 'GET', '/patroni')).text.includes('"pause"')
            ? undefined
            : true,
        {
          timeoutMs: 10_000,
          what: 'the pause to end',
        },
      );
    });

    it('a one-member cluster has nobody to switch over to', async () => {
      const solo = await PatroniGatewayFixture.start();
      try {
        await solo.setStatus(primaryStatus('pg1', solo.scope, solo.ports.pg1));
        await solo.setConfig(SAMPLE_CONFIG);
        await solo.setLeader('pg1', 1);
        await solo.waitFor('pg1', '/primary', 200);
        expect(await solo.call('pg1', 'POST', '/switchover', '{"leader":"pg1"}')).toMatchObject({
          status: 412,
          text: 'switchover is not possible: cluster does not have members except leader',
        });
      } finally {
        await solo.dispose();
      }
    });
  });

  describe('scheduled switchover', () => {
    it('is accepted with 202, shown in /cluster, and cancelled by DELETE', async () => {
      const answer = await fixture.call(
        'pg1',
        'POST',
        '/switchover',
        `{"leader":"pg1","candidate":"pg2","scheduled_at":"${IN_THE_FUTURE}"}`,
      );
      expect(answer).toMatchObject({ status: 202, text: 'Switchover scheduled' });
      await fixture.waitUntilBody('pg3', '/cluster', 'scheduled_switchover');
      const cluster = JSON.parse((await fixture.call('pg3', 'GET', '/cluster')).text) as object;
      expect(cluster).toMatchObject({
        scheduled_switchover: { at: '2099-01-01T12:00:00+00:00', from: 'pg1', to: 'pg2' },
      });
      expect(await fixture.call('pg1', 'DELETE', '/switchover')).toMatchObject({
        status: 200,
        text: 'scheduled switchover deleted',
      });
      expect(await fixture.call('pg1', 'DELETE', '/switchover')).toMatchObject({
        status: 404,
        text: 'no switchover is scheduled',
      });
    });
  });

  describe('immediate switchover, with a test stand-in for the not-yet-written election', () => {
    it('answers 200 "Successfully switched over" once the candidate holds the key and runs as primary', async () => {
      const election = await fixture.store.watch(ClusterKeys.failover, { updatesOnly: true });
      const standIn = (async () => {
        for await (const entry of election) {
          if (entry.operation !== 'PUT') continue;
          const request = JSON.parse(entry.string()) as { leader?: string; member?: string };
          await fixture.setStatus(replicaStatus('pg1', fixture.scope, fixture.ports.pg1));
          await fixture.store.put(
            ClusterKeys.leader,
            create(LeaseRecordSchema, { member: request.member ?? 'pg2', term: 7, ttl: 30 }),
          );
          await fixture.setStatus({ ...primaryStatus('pg2', fixture.scope, fixture.ports.pg2) });
          await fixture.store.delete(ClusterKeys.failover);
          return;
        }
      })();
      const answer = await fixture.call(
        'pg1',
        'POST',
        '/switchover',
        '{"leader":"pg1","candidate":"pg2"}',
      );
      await standIn;
      election.stop();
      expect(answer).toMatchObject({ status: 200, text: 'Successfully switched over to "pg2"' });
      expect((await fixture.call('pg2', 'GET', '/primary')).status).toBe(200);
      expect((await fixture.call('pg1', 'GET', '/primary')).status).toBe(503);
      // Back to the standard cluster for the next tests.
      await fixture.standardCluster();
      await fixture.waitFor('pg2', '/primary', 503);
    });

    it('answers 503 "Switchover failed" when the request is dropped and the leader stays', async () => {
      const election = await fixture.store.watch(ClusterKeys.failover, { updatesOnly: true });
      const standIn = (async () => {
        for await (const entry of election) {
          if (entry.operation !== 'PUT') continue;
          await fixture.store.delete(ClusterKeys.failover);
          return;
        }
      })();
      const answer = await fixture.call(
        'pg1',
        'POST',
        '/switchover',
        '{"leader":"pg1","candidate":"pg3"}',
      );
      await standIn;
      election.stop();
      expect(answer).toMatchObject({ status: 503, text: 'Switchover failed' });
    });

    it('answers 503 with the status unknown when nothing happens before the timeout', async () => {
      const answer = await fixture.call('pg1', 'POST', '/failover', '{"candidate":"pg3"}');
      expect(answer).toMatchObject({
        status: 503,
        text: 'Failover status unknown after 5 seconds; operation may still be in progress',
      });
      await fixture.store.delete(ClusterKeys.failover);
    });
  });

  describe('restart validation, one case each', () => {
    it.each([
      [
        '{"schedule":"not-a-timestamp"}',
        422,
        'Unable to parse scheduled timestamp. It should be in an unambiguous format, e.g. ISO 8601',
      ],
      [
        '{"schedule":"2099-01-01T12:00:00"}',
        400,
        'Timezone information is mandatory for the scheduled restart',
      ],
      [`{"schedule":"${IN_THE_PAST}"}`, 422, 'Cannot schedule restart in the past'],
      [
        '{"role":"master"}',
        400,
        'PostgreSQL role should be either primary, standby_leader, or replica',
      ],
      [
        '{"postgres_version":"9.6"}',
        400,
        'Invalid PostgreSQL version format: X.Y or X.Y.Z is accepted: 9.6',
      ],
      ['{"postgres_version":"fifteen"}', 400, 'Invalid PostgreSQL version: fifteen'],
      ['{"timeout":"0s"}', 400, 'Timeout should be a positive number of seconds'],
      ['{"foo":1}', 400, 'Unknown filter for the scheduled restart: foo'],
    ])('POST /restart %s → %d %s', async (body, status, message) => {
      const answer = await fixture.call('pg2', 'POST', '/restart', body);
      expect(answer).toMatchObject({ status, text: message });
    });

    it('matches the captured bad-schedule reply', async () => {
      const captured = sample('replica_POST_restart_bad_schedule.txt');
      const answer = await fixture.call(
        'pg2',
        'POST',
        '/restart',
        '{"schedule": "not-a-timestamp"}',
      );
      expect(answer.status).toBe(captured.status);
      expect(answer.text).toBe(captured.body);
    });
  });

  describe('member commands go to the agent over NATS', () => {
    it('without an agent: a clear 503', async () => {
      expect(await fixture.call('pg2', 'POST', '/restart')).toMatchObject({
        status: 503,
        text: 'restart failed: no agent of member pg2 is answering',
      });
      expect((await fixture.call('pg2', 'POST', '/reload')).status).toBe(503);
    });

    it("with an agent answering on its subject: its reply becomes Patroni's", async () => {
      const { CommandReplySchema, encodeWire, RestartRequestSchema, decodeWire } =
        await import('../../libs/proto/src/index.ts');
      const received: unknown[] = [];
      const agent = fixture.writer.subscribe(`natroni.${fixture.scope}.agent.pg2.*`, {
        callback: (_error, message) => {
          if (message.subject.endsWith('.restart'))
            received.push(decodeWire(RestartRequestSchema, message.data));
          message.respond(
            encodeWire(
              CommandReplySchema,
              create(CommandReplySchema, { ok: true, message: 'restarted successfully' }),
            ),
          );
        },
      });
      // The subscription must have reached the server before the gateway asks.
      await fixture.writer.flush();
      try {
        expect(
          await fixture.call('pg2', 'POST', '/restart', '{"role":"replica","timeout":"1min"}'),
        ).toMatchObject({ status: 200, text: 'restarted successfully' });
        expect(received[0]).toMatchObject({ role: 'replica', timeout: 60 });
        expect(await fixture.call('pg2', 'POST', '/reload')).toMatchObject({
          status: 202,
          text: 'reload scheduled',
        });
        expect(await fixture.call('pg2', 'POST', '/reinitialize', '{"force":"yes"}')).toMatchObject(
          { status: 200 },
        );
        expect(await fixture.call('pg1', 'POST', '/reinitialize')).toMatchObject({
          status: 503,
          text: 'I am the leader, can not reinitialize',
        });
      } finally {
        agent.unsubscribe();
      }
    });

    it("DELETE /restart asks the agent: Patroni's 200 or 404, a clear 503 without it", async () => {
      const { CommandReplySchema, encodeWire } = await import('../../libs/proto/src/index.ts');
      expect(await fixture.call('pg3', 'DELETE', '/restart')).toMatchObject({
        status: 503,
        text: 'cancel_restart failed: no agent of member pg3 is answering',
      });
      let scheduled = true;
      const agent = fixture.writer.subscribe(`natroni.${fixture.scope}.agent.pg3.cancel_restart`, {
        callback: (_error, message) => {
          const reply = scheduled
            ? { ok: true, message: 'scheduled restart deleted' }
            : { ok: false, errorCode: 'not_found', message: 'no restarts are scheduled' };
          scheduled = false;
          message.respond(encodeWire(CommandReplySchema, create(CommandReplySchema, reply)));
        },
      });
      await fixture.writer.flush();
      try {
        expect(await fixture.call('pg3', 'DELETE', '/restart')).toMatchObject({
          status: 200,
          text: 'scheduled restart deleted',
        });
        expect(await fixture.call('pg3', 'DELETE', '/restart')).toMatchObject({
          status: 404,
          text: 'no restarts are scheduled',
        });
      } finally {
        agent.unsubscribe();
      }
    });
  });

  describe('config', () => {
    it('GET /config has the sample keys; PATCH merges, null deletes, CAS keeps concurrent writes', async () => {
      const captured = JSON.parse(sample('leader_GET_config.txt').body) as Record<string, unknown>;
      const config = JSON.parse((await fixture.call('pg1', 'GET', '/config')).text) as Record<
        string,
        unknown
      >;
      for (const key of Object.keys(captured)) expect(config).toHaveProperty(key);
      const patched = await fixture.call(
        'pg1',
        'PATCH',
        '/config',
        '{"loop_wait":5,"postgresql":{"parameters":{"max_wal_senders":null,"work_mem":"8MB"}}}',
      );
      expect(patched.status).toBe(200);
      const merged = JSON.parse(patched.text) as {
        loop_wait: number;
        postgresql: { parameters: Record<string, unknown> };
      };
      expect(merged.loop_wait).toBe(5);
      expect(merged.postgresql.parameters).toEqual({
        wal_level: 'replica',
        hot_standby: 'on',
        work_mem: '8MB',
      });
      const results = await Promise.all(
        [
          '{"maximum_lag_on_failover":1}',
          '{"primary_start_timeout":7}',
          '{"check_timeline":true}',
        ].map((body) => fixture.call('pg1', 'PATCH', '/config', body)),
      );
      expect(results.map((result) => result.status)).toEqual([200, 200, 200]);
      const stored = await fixture.store.get(ClusterKeys.config);
      expect(stored?.value).toMatchObject({
        maximumLagOnFailover: 1,
        primaryStartTimeout: 7,
        checkTimeline: true,
        loopWait: 5,
      });
    });

    it.each([
      ['{"ttl": 30,', 400],
      ['[1,2]', 400],
      ['{"ttl":"thirty"}', 400],
      ['{"no_such_key":1}', 400],
      ['{"ttl":10}', 422],
      ['{"loop_wait":10,"retry_timeout":15}', 422],
    ])('PATCH /config %s → %d and the stored config is unchanged', async (body, status) => {
      const before = await fixture.store.get(ClusterKeys.config);
      expect((await fixture.call('pg1', 'PATCH', '/config', body)).status).toBe(status);
      expect((await fixture.store.get(ClusterKeys.config))?.revision).toBe(before?.revision);
    });

    it.each([
      [
        'PATCH',
        '{"standby_cluster":{"primary_slot_name":"standby"}}',
        'Invalid dynamic configuration: standby_cluster.host is not defined.; standby_cluster.port is not defined.; standby_cluster.restore_command is not defined.',
      ],
      [
        'PATCH',
        '{"standby_cluster":{"host":"10.0.0.1","port":"5432"}}',
        'Invalid dynamic configuration: standby_cluster.port is not an integer from 0 to 65535',
      ],
    ])(
      '%s /config %s → 422 with the reason, and the stored config is unchanged',
      async (method, body, text) => {
        const before = await fixture.store.get(ClusterKeys.config);
        expect(await fixture.call('pg1', method, '/config', body)).toMatchObject({
          status: 422,
          text,
        });
        const after = await fixture.store.get(ClusterKeys.config);
        expect(after?.revision).toBe(before?.revision);
        expect(after?.value.synchronousMode).toEqual(before?.value.synchronousMode);
      },
    );

    it('matches the captured invalid-JSON reply', async () => {
      const captured = sample('leader_PATCH_config_invalid_json.txt');
      const answer = await fixture.call('pg1', 'PATCH', '/config', '{"ttl": 30,');
      expect(answer.status).toBe(captured.status);
      expect(answer.text).toBe(captured.body);
    });

    it('PUT /config replaces the whole configuration', async () => {
      const answer = await fixture.call(
        'pg1',
        'PUT',
        '/config',
        '{"ttl":30,"loop_wait":10,"retry_timeout":10}',
      );
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.text)).toEqual({ ttl: 30, loop_wait: 10, retry_timeout: 10 });
    });
  });

  describe('auth (restapi.authentication)', () => {
    it.each([
      ['POST', '/switchover'],
      ['POST', '/failover'],
      ['DELETE', '/switchover'],
      ['PATCH', '/config'],
      ['PUT', '/config'],
      ['POST', '/restart'],
      ['DELETE', '/restart'],
      ['POST', '/reload'],
      ['POST', '/reinitialize'],
    ])('%s %s needs credentials', async (method, path) => {
      const none = await fixture.call('pg2', method, path, '{"leader":"pg1"}', {
        authorization: '',
      });
      expect(none).toMatchObject({ status: 401, text: 'not authenticated' });
      const missing = await fetch(fixture.url('pg2', path), { method, body: '{"leader":"pg1"}' });
      expect(missing.status).toBe(401);
      expect(await missing.text()).toBe('no auth header received');
      expect(missing.headers.get('www-authenticate')).toBe('Basic realm="Patroni"');
      const wrong = await fixture.call('pg2', method, path, '{"leader":"pg1"}', {
        authorization: `Basic ${Buffer.from('admin:nope').toString('base64')}`,
      });
      expect(wrong).toMatchObject({ status: 401, text: 'not authenticated' });
    });

    it('GETs are open', async () => {
      for (const path of ['/patroni', '/cluster', '/history', '/config', '/metrics', '/primary']) {
        const response = await fetch(fixture.url('pg1', path));
        expect(response.status).not.toBe(401);
      }
    });
  });

  describe('other endpoints', () => {
    it("GET /history is Patroni's array of arrays", async () => {
      await fixture.store.put(
        ClusterKeys.history,
        create((await import('../../libs/proto/src/index.ts')).HistorySchema, {
          entries: [
            {
              timeline: 1,
              switchLsn: 67393352,
              reason: 'no recovery target specified',
              timestamp: '2026-11-23T10:49:09.024686+00:00',
              newLeader: 'pg2',
            },
          ],
        }),
      );
      await fixture.waitUntilBody('pg1', '/history', 'pg2');
      expect(JSON.parse((await fixture.call('pg1', 'GET', '/history')).text)).toEqual(
        JSON.parse(sample('after_switchover_leader_GET_history.txt').body),
      );
    });

    it("GET /metrics uses Patroni's names, types and labels", async () => {
      const text = (await fixture.call('pg1', 'GET', '/metrics')).text;
      const labels = `{scope="${fixture.scope}",name="pg1"}`;
      expect(text).toContain(
        `# TYPE patroni_xlog_location counter\npatroni_xlog_location${labels} 67108864`,
      );
      expect(text).toContain(`patroni_primary${labels} 1`);
      expect(text).toContain(
        '# HELP patroni_postgres_state Numeric representation of Postgres state.\n# Values: 0=initdb',
      );
      expect(text).toContain(`patroni_postgres_state${labels} 5`);
      const captured = sample('leader_GET_metrics.txt').body;
      for (const [, name, type] of captured.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
        if (name === 'patroni_master') continue; // removed in Patroni 4
        expect(text).toContain(`# TYPE ${name} ${type}`);
      }
    });

    it('serves the OpenAPI description', async () => {
      const document = JSON.parse((await fixture.call('pg1', 'GET', '/openapi.json')).text) as {
        paths: Record<string, unknown>;
      };
      expect(Object.keys(document.paths)).toEqual(
        expect.arrayContaining(['/switchover', '/config', '/cluster', '/primary', '/replica']),
      );
    });

    it('an unknown unsafe path is 501 as in Patroni', async () => {
      const answer = await fixture.call('pg1', 'POST', '/nope', '{}');
      expect(answer.status).toBe(501);
      expect(answer.text).toContain("Unsupported method ('POST')");
    });
  });
});
