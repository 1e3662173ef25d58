import { create } from '@bufbuild/protobuf';
import { ClusterKeys } from '../../libs/dcs/src/index.ts';
import { FailsafeNotices } from '../../libs/failsafe/src/index.ts';
import { waitUntil } from '../../libs/harness/src/index.ts';
import {
  FailsafeReplySchema,
  FailsafeTopologySchema,
  type FailsafeNotice,
} from '../../libs/proto/src/index.ts';
import { PatroniGatewayFixture, SAMPLE_CONFIG } from '../support/patroni-gateway-fixture.ts';

const NOTICE = JSON.stringify({
  name: 'pg1',
  conn_url: 'postgres://127.0.0.1:15432/postgres',
  api_url: 'http://127.0.0.1:8008/patroni',
  slots: { pg1: 67108864, odd: 'not a number' },
});

describe('api-gateway failsafe endpoints (real nats-server)', () => {
  let fixture: PatroniGatewayFixture;
  let notices: FailsafeNotices;

  beforeAll(async () => {
    fixture = await PatroniGatewayFixture.start();
    await fixture.standardCluster();
    notices = new FailsafeNotices(fixture.writer, 'natroni', fixture.scope);
  });

  afterAll(async () => {
    await fixture?.dispose();
  });

  async function setFailsafeMode(on: boolean): Promise<void> {
    await fixture.setConfig({ ...SAMPLE_CONFIG, failsafeMode: on });
    await waitUntil(
      async () => {
        const answer = await fixture.call('pg2', 'POST', '/failsafe', NOTICE);
        return (answer.status === 502) === !on ? true : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 50, what: `the gateway to see failsafe_mode ${on}` },
    );
  }

  it('GET /failsafe: 502 without the failsafe key, then the key as {member: api_url}', async () => {
    const absent = await fixture.call('pg2', 'GET', '/failsafe');
    expect(absent.status).toBe(502);
    expect(absent.headers.get('content-type')).toContain('text/html');

    const members = { pg1: 'http://127.0.0.1:8008/patroni', pg2: 'http://127.0.0.1:8009/patroni' };
    await fixture.store.put(ClusterKeys.failsafe, create(FailsafeTopologySchema, { members }));
    await fixture.waitFor('pg3', '/failsafe', 200);
    const present = await fixture.call('pg3', 'GET', '/failsafe', undefined, { authorization: '' });
    expect(present.headers.get('content-type')).toContain('application/json');
    expect(JSON.parse(present.text)).toEqual(members);
  });

  it('POST /failsafe needs credentials', async () => {
    const wrong = `Basic ${Buffer.from('admin:wrong').toString('base64')}`;
    const answer = await fixture.call('pg2', 'POST', '/failsafe', NOTICE, { authorization: wrong });
    expect(answer).toMatchObject({ status: 401, text: 'not authenticated' });
    expect(answer.headers.get('www-authenticate')).toBe('Basic realm="Patroni"');
  });

  it('POST /failsafe with failsafe mode off: 502', async () => {
    await setFailsafeMode(false);
    expect((await fixture.call('pg2', 'POST', '/failsafe', NOTICE)).status).toBe(502);
  });

  describe('with failsafe mode on', () => {
    beforeAll(async () => {
      await setFailsafeMode(true);
    });

    it.each([
      ['an empty body', '', 400, ''],
      ['invalid JSON', '{"name":', 400, ''],
      ['a name that is not a string', '{"name": 5}', 400, 'name must be a string'],
      [
        'slots that are not an object',
        '{"name": "pg1", "slots": [1]}',
        400,
        'slots must be an object',
      ],
    ])('%s', async (_case, body, status, text) => {
      const answer = await fixture.call('pg2', 'POST', '/failsafe', body);
      expect(answer.status).toBe(status);
      if (text) expect(answer.text).toBe(text);
    });

    it("without the member's election listening: 503 naming it", async () => {
      const answer = await fixture.call('pg2', 'POST', '/failsafe', NOTICE);
      expect(answer.status).toBe(503);
      expect(answer.text).toContain('the election of pg2 did not answer the failsafe notice');
    });

    it("the member's election decides: Accepted with its lsn, or Patroni's 500", async () => {
      const received: FailsafeNotice[] = [];
      const pg2 = notices.answer('pg2', (notice) => {
        received.push(notice);
        return Promise.resolve(create(FailsafeReplySchema, { accepted: true, lsn: 67108000 }));
      });
      const pg3 = notices.answer('pg3', () =>
        Promise.resolve(
          create(FailsafeReplySchema, { accepted: false, message: 'Running as a leader' }),
        ),
      );
      await fixture.writer.flush();
      try {
        const accepted = await fixture.call('pg2', 'POST', '/failsafe', NOTICE);
        expect(accepted).toMatchObject({ status: 200, text: 'Accepted' });
        expect(accepted.headers.get('lsn')).toBe('67108000');
        expect(received).toHaveLength(1);
        expect(received[0]).toMatchObject({
          name: 'pg1',
          connUrl: 'postgres://127.0.0.1:15432/postgres',
          apiUrl: 'http://127.0.0.1:8008/patroni',
          slots: { pg1: 67108864 },
        });

        expect(await fixture.call('pg3', 'POST', '/failsafe', NOTICE)).toMatchObject({
          status: 500,
          text: 'Running as a leader',
        });
      } finally {
        pg2.unsubscribe();
        pg3.unsubscribe();
      }
    });
  });
});
