import { SERVER_KEY_PREFIX, serverKey } from '../../libs/dcs/src/index.ts';
import { rawBucket } from '../support/raw-bucket.ts';
import { freePort, waitUntil } from '../../libs/harness/src/index.ts';
import {
  AUTH_HEADER,
  MaxscaleGatewayFixture,
  READONLY_HEADER,
  type V1Answer,
} from '../support/maxscale-gateway-fixture.ts';

interface Doc {
  links: Record<string, string>;
  data: Resource & Resource[];
  errors?: { detail: string }[];
}
interface Resource {
  id: string;
  type: string;
  links: { self: string };
  attributes: Record<string, unknown> & { parameters: Record<string, unknown>; state: string };
  relationships: Record<
    string,
    { data: { id: string; type: string }[]; links: Record<string, string> }
  >;
}

const errors = (...details: string[]) => ({ errors: details.map((detail) => ({ detail })) });

function serverBody(
  id: string,
  parameters: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): string {
  return JSON.stringify({ data: { id, type: 'servers', attributes: { parameters }, ...extra } });
}

describe('/v1/servers on the gateway (real nats-server)', () => {
  let fixture: MaxscaleGatewayFixture;
  let closedPort: number;
  let service: string;
  let monitor: string;
  const call = (
    method: string,
    path: string,
    options: Parameters<MaxscaleGatewayFixture['call']>[2] = {},
  ) => fixture.call(method, path, options);
  const doc = (answer: V1Answer) => answer.json as Doc;
  const create = async (
    id: string,
    parameters: Record<string, unknown>,
    extra: Record<string, unknown> = {},
  ) => {
    const answer = await call('POST', '/v1/servers', { body: serverBody(id, parameters, extra) });
    expect([answer.status, answer.text]).toEqual([204, '']);
  };
  const remove = (id: string) => call('DELETE', `/v1/servers/${id}?force=yes`);

  beforeAll(async () => {
    fixture = await MaxscaleGatewayFixture.start();
    await fixture.standardCluster();
    closedPort = await freePort();
    service = 'read-write';
    monitor = fixture.scope;
  }, 60_000);

  afterAll(async () => {
    await fixture?.dispose();
  });

  describe('common HTTP behaviour', () => {
    it('the /v1 prefix is optional and links follow the request', async () => {
      const versioned = doc(await call('GET', '/v1/servers/pg1'));
      const bare = doc(await call('GET', '/servers/pg1'));
      expect(versioned.links.self).toBe(`http://127.0.0.1:${fixture.port}/v1/servers/pg1/`);
      expect(bare.links.self).toBe(`http://127.0.0.1:${fixture.port}/servers/pg1/`);
      expect(bare.data.attributes.state).toBe(versioned.data.attributes.state);
    });

    it('trailing slashes are stripped', async () => {
      const a = await call('GET', '/v1/servers/?pretty=false');
      const b = await call('GET', '/v1/servers?pretty=false');
      expect(a.status).toBe(200);
      expect(a.text).toBe(b.text);
    });

    it('an unknown server is 404 "<name> is not a server"', async () => {
      const answer = await call('GET', '/v1/servers/nope');
      expect(answer.status).toBe(404);
      expect(answer.json).toEqual(errors('nope is not a server'));
    });

    it.each([
      ['GET', '/v1/servers/pg1/relationships/foo'],
      ['POST', '/v1/servers/pg1'],
      ['GET', '/v1/nothing/here'],
    ])('%s %s is 404 with no body', async (method, path) => {
      const answer = await call(method, path);
      expect([answer.status, answer.text]).toEqual([404, '']);
    });

    it('a method outside GET/PUT/PATCH/POST/DELETE/OPTIONS/HEAD is 405', async () => {
      expect((await call('PROPFIND', '/v1/servers')).status).toBe(405);
    });

    it('HEAD is a GET without body; OPTIONS lists the methods', async () => {
      const head = await call('HEAD', '/v1/servers/pg1');
      expect([head.status, head.text]).toEqual([200, '']);
      const options = await call('OPTIONS', '/v1/servers');
      expect(options.status).toBe(200);
      expect(options.headers.get('accept')).toBe('GET, PUT, PATCH, POST, DELETE, OPTIONS, HEAD');
    });

    it('answers JSON with sorted keys, pretty by default, compact with ?pretty=false, and the fixed headers', async () => {
      const pretty = await call('GET', '/v1/servers/pg1');
      expect(pretty.headers.get('content-type')).toBe('application/json');
      expect(pretty.text.startsWith('{\n    "data": {')).toBe(true);
      for (const [name, value] of [
        ['cache-control', 'no-cache'],
        ['x-frame-options', 'Deny'],
        ['x-xss-protection', '1'],
        ['referrer-policy', 'same-origin'],
      ])
        expect(pretty.headers.get(name)).toBe(value);
      expect(pretty.headers.get('date')).not.toBeNull();
      const compact = await call('GET', '/v1/servers/pg1?pretty=false');
      expect(compact.text).toBe(JSON.stringify(compact.json));
      expect(Object.keys((compact.json as Doc).data)).toEqual([
        'attributes',
        'id',
        'links',
        'relationships',
        'type',
      ]);
    });

    it('ETag: If-None-Match gives 304, a stale If-Match 412', async () => {
      const first = await call('GET', '/v1/services/read-only');
      const etag = first.headers.get('etag') ?? '';
      expect(etag).toMatch(/^"[0-9a-f]{40}"$/);
      expect(
        (await call('GET', '/v1/services/read-only', { headers: { 'if-none-match': etag } }))
          .status,
      ).toBe(304);
      expect(
        (await call('GET', '/v1/services/read-only', { headers: { 'if-match': '"x"' } })).status,
      ).toBe(412);
    });

    it('a body is JSON whatever its Content-Type; malformed is 400, missing 403', async () => {
      const malformed = await call('POST', '/v1/servers', {
        body: '{"data":',
        headers: { 'content-type': 'text/plain' },
      });
      expect(malformed.status).toBe(400);
      expect(doc(malformed).errors?.[0]?.detail).toMatch(/^Invalid JSON in request: /);
      const missing = await call('POST', '/v1/servers');
      expect([missing.status, missing.json]).toEqual([403, errors('Missing request body')]);
    });

    it('X-HTTP-Method-Override replaces the method; unknown query options such as sync=false are ignored', async () => {
      await create('override', { address: '127.0.0.2', port: closedPort });
      const answer = await call('POST', '/v1/servers/override?sync=false', {
        body: JSON.stringify({ data: { attributes: { parameters: { weight: 5 } } } }),
        headers: { 'x-http-method-override': 'PATCH' },
      });
      expect(answer.status).toBe(204);
      expect(
        doc(await call('GET', '/v1/servers/override')).data.attributes.parameters['weight'],
      ).toBe(5);
      await remove('override');
    });
  });

  describe('links and resources', () => {
    it('a member: links, relationships, state, statistics, topology', async () => {
      const base = `http://127.0.0.1:${fixture.port}/v1/`;
      const pg1 = doc(await call('GET', '/v1/servers/pg1')).data;
      expect(pg1.links.self).toBe(`${base}servers/pg1/`);
      expect(pg1.relationships['services']).toEqual({
        data: [
          { id: 'read-only', type: 'services' },
          { id: 'read-write', type: 'services' },
        ],
        links: { self: `${base}servers/pg1/relationships/services/`, related: `${base}services/` },
      });
      expect(pg1.relationships['monitors']?.data).toEqual([{ id: monitor, type: 'monitors' }]);
      expect(pg1.attributes).toMatchObject({
        state: 'Master, Running',
        version_string: '15.18',
        node_id: 1,
        master_id: -1,
        replication_depth: 0,
        slaves: [2, 3],
        source: { type: 'static', file: null },
        parameters: { address: '127.0.0.1', port: 15432, socket: null, monitorpw: null },
        statistics: {
          connections: 3,
          total_connections: 40,
          active_operations: 1,
          max_connections: 5,
        },
      });
      const following = doc(await call('GET', new URL(pg1.links.self).pathname));
      expect(following.links.self).toBe(pg1.links.self);
    });

    it('the collection lists the members, then created servers in creation order', async () => {
      await create('zz-first', { address: '127.0.0.3', port: closedPort });
      await create('aa-second', { address: '127.0.0.4', port: closedPort });
      const ids = doc(await call('GET', '/v1/servers')).data.map((server) => server.id);
      expect(ids.slice(0, 5)).toEqual(['pg1', 'pg2', 'pg3', 'zz-first', 'aa-second']);
      expect(doc(await call('GET', '/v1/servers')).links.self).toBe(
        `http://127.0.0.1:${fixture.port}/v1/servers/`,
      );
      await remove('zz-first');
      await remove('aa-second');
    });

    it('a created, unmonitored server starts Down with relationships {} (empty kinds omitted)', async () => {
      await create('lonely', { address: '127.0.0.5', port: closedPort });
      const lonely = doc(await call('GET', '/v1/servers/lonely')).data;
      expect(lonely.attributes.state).toBe('Down');
      expect(lonely.relationships).toEqual({});
      expect(lonely.attributes['version_string']).toBe('');
      expect(lonely.attributes['source']).toEqual({ type: 'cluster', file: null });
      expect((await call('GET', '/v1/servers/lonely/relationships/services')).status).toBe(404);
      await remove('lonely');
    });

    it('GET …/relationships/:type is the relationship object itself', async () => {
      const answer = await call('GET', '/v1/servers/pg2/relationships/monitors');
      expect(answer.json).toEqual({
        data: [{ id: monitor, type: 'monitors' }],
        links: {
          related: `http://127.0.0.1:${fixture.port}/v1/monitors/`,
          self: `http://127.0.0.1:${fixture.port}/v1/servers/pg2/relationships/monitors/`,
        },
      });
    });

    it('sparse fieldsets on single resources and collections', async () => {
      const one = doc(await call('GET', '/v1/servers/pg2?fields[servers]=state,version_string'));
      expect(one.data).toEqual({
        id: 'pg2',
        type: 'servers',
        links: { self: `http://127.0.0.1:${fixture.port}/v1/servers/pg2/` },
        attributes: { state: 'Slave, Running', version_string: '15.18' },
      });
      const services = doc(await call('GET', '/v1/servers?fields[servers]=services'));
      expect(Object.keys(services.data[0] ?? {}).sort()).toEqual([
        'id',
        'links',
        'relationships',
        'type',
      ]);
      const filtered = doc(
        await call('GET', '/v1/servers?filter=/attributes/state="Slave, Running"'),
      );
      expect(filtered.data.map((server) => server.id)).toEqual(['pg2', 'pg3']);
    });

    it('the services and the monitor resolve', async () => {
      const services = doc(await call('GET', '/v1/services'));
      expect(services.data.map((item) => item.id)).toEqual(['read-write', 'read-only']);
      const watcher = doc(await call('GET', `/v1/monitors/${monitor}`));
      expect(watcher.data.relationships['servers']?.data.map((item) => item.id)).toEqual([
        'pg1',
        'pg2',
        'pg3',
      ]);
      expect((await call('GET', '/v1/services/nope')).json).toEqual(
        errors('nope is not a service'),
      );
    });

    it('every member listener answers /v1 the same, links from its own Host', async () => {
      const answer = await call('GET', '/v1/servers/pg3?fields[servers]=state', { member: 'pg2' });
      expect(doc(answer).data.attributes.state).toBe('Slave, Running');
      expect(doc(answer).links.self).toBe(
        `http://127.0.0.1:${fixture.memberPorts['pg2']}/v1/servers/pg3/`,
      );
    });
  });

  describe('create, update, relationships, delete', () => {
    it('names match case-insensitively with whitespace as hyphens', async () => {
      await create('Case Test', { address: '127.0.0.6', port: closedPort });
      expect(doc(await call('GET', '/v1/servers/case-TEST')).data.id).toBe('Case-Test');
      const again = await call('POST', '/v1/servers', {
        body: serverBody('CASE-test', { address: '127.0.0.7', port: 1 }),
      });
      expect([again.status, again.json]).toEqual([
        403,
        errors("Can't create server 'CASE-test', a server with that name already exists"),
      ]);
      await remove('case test');
    });

    it('a name taken by a service or the monitor is refused', async () => {
      const answer = await call('POST', '/v1/servers', {
        body: serverBody('read-only', { address: 'h', port: 1 }),
      });
      expect(answer.json).toEqual(
        errors("Can't create server 'read-only', a service with that name already exists"),
      );
    });

    it('an invalid name is 403', async () => {
      const answer = await call('POST', '/v1/servers', {
        body: serverBody('a.b', { address: 'h', port: 1 }),
      });
      expect(answer.status).toBe(403);
      expect(doc(answer).errors?.[0]?.detail).toContain(
        "The name 'a.b' is not a valid server name",
      );
    });

    it('the same address and port twice is refused, on create and on update', async () => {
      await create('dup-a', { address: '127.0.0.8', port: closedPort });
      const created = await call('POST', '/v1/servers', {
        body: serverBody('dup-b', { address: '127.0.0.8', port: closedPort }),
      });
      expect(created.json).toEqual(
        errors(
          `Cannot create server 'dup-b' at '[127.0.0.8]:${closedPort}', server 'dup-a' exists there already.`,
        ),
      );
      await create('dup-b', { address: '127.0.0.9', port: closedPort });
      const updated = await call('PATCH', '/v1/servers/dup-b', {
        body: JSON.stringify({ data: { attributes: { parameters: { address: '127.0.0.8' } } } }),
      });
      expect(updated.json).toEqual(
        errors(
          `Cannot update server 'dup-b' to '[127.0.0.8]:${closedPort}', server 'dup-a' exists there already.`,
        ),
      );
      const member = await call('POST', '/v1/servers', {
        body: serverBody('dup-c', { address: '127.0.0.1', port: 15432 }),
      });
      expect(member.json).toEqual(
        errors(
          "Cannot create server 'dup-c' at '[127.0.0.1]:15432', server 'pg1' exists there already.",
        ),
      );
      await remove('dup-a');
      await remove('dup-b');
    });

    it('PATCH merges parameters: address to socket, socket alone refused, GET-edit-PATCH round trip', async () => {
      await create('patchy', {
        address: '127.0.0.10',
        port: closedPort,
        monitoruser: 'u',
        monitorpw: 'p',
      });
      const both = await call('PATCH', '/v1/servers/patchy', {
        body: JSON.stringify({ data: { attributes: { parameters: { socket: '/tmp/x' } } } }),
      });
      expect(both.json).toEqual(
        errors(
          "Both 'address=127.0.0.10' and 'socket=/tmp/x' defined: only one of the parameters can be defined",
        ),
      );
      const socket = await call('PATCH', '/v1/servers/patchy', {
        body: JSON.stringify({
          data: { attributes: { parameters: { socket: '/tmp/x', address: null } } },
        }),
      });
      expect(socket.status).toBe(204);
      const shown = doc(await call('GET', '/v1/servers/patchy'));
      expect(shown.data.attributes.parameters).toMatchObject({
        socket: '/tmp/x',
        address: null,
        port: null,
        monitorpw: '*****',
      });
      shown.data.attributes.parameters['priority'] = 7;
      const roundTrip = await call('PATCH', '/v1/servers/patchy', { body: JSON.stringify(shown) });
      expect(roundTrip.status).toBe(204);
      const after = doc(await call('GET', '/v1/servers/patchy')).data.attributes.parameters;
      expect(after).toMatchObject({ priority: 7, monitorpw: '*****', socket: '/tmp/x' });
      const stored = await fixture.store.entry(serverKey('patchy'));
      expect(stored?.string()).toContain('"monitorpw":"p"');
      await remove('patchy');
    });

    it('a member: custom parameters are settable, its address is not, its monitor stays', async () => {
      const custom = await call('PATCH', '/v1/servers/pg3', {
        body: JSON.stringify({ data: { attributes: { parameters: { weight: 10 } } } }),
      });
      expect(custom.status).toBe(204);
      expect(doc(await call('GET', '/v1/servers/pg3')).data.attributes.parameters['weight']).toBe(
        10,
      );
      const address = await call('PATCH', '/v1/servers/pg3', {
        body: JSON.stringify({ data: { attributes: { parameters: { address: '10.0.0.1' } } } }),
      });
      expect(address.json).toEqual(
        errors(
          "Parameter 'address' of server 'pg3' comes from the natroni member's conn_url and cannot be changed",
        ),
      );
      const unmonitor = await call('PATCH', '/v1/servers/pg3/relationships/monitors', {
        body: '{"data":[]}',
      });
      expect(unmonitor.json).toEqual(
        errors(`Server 'pg3' is a natroni member: it is always monitored by '${monitor}'`),
      );
      const removed = await call('PATCH', '/v1/servers/pg3', {
        body: JSON.stringify({ data: { attributes: { parameters: { weight: null } } } }),
      });
      expect(removed.status).toBe(204);
      expect(
        doc(await call('GET', '/v1/servers/pg3')).data.attributes.parameters,
      ).not.toHaveProperty('weight');
      const destroy = await call('DELETE', '/v1/servers/pg3?force=yes');
      expect(destroy.json).toEqual(
        errors(`Cannot destroy server 'pg3': it is a member of the natroni cluster '${monitor}'`),
      );
    });

    it('relationships: present kinds replace, absent stay, null and [] empty', async () => {
      await create(
        'linked',
        { address: '127.0.0.11', port: closedPort },
        {
          relationships: {
            services: { data: [{ id: service, type: 'services' }] },
            monitors: { data: [{ id: monitor, type: 'monitors' }] },
          },
        },
      );
      const rel = async () =>
        Object.keys(doc(await call('GET', '/v1/servers/linked')).data.relationships).sort();
      expect(await rel()).toEqual(['monitors', 'services']);
      await call('PATCH', '/v1/servers/linked', {
        body: JSON.stringify({ data: { relationships: { services: { data: null } } } }),
      });
      expect(await rel()).toEqual(['monitors']);
      const refused = await call('PATCH', '/v1/servers/linked/relationships/monitors', {
        body: '{"monitors":null}',
      });
      expect([refused.status, refused.json]).toEqual([403, errors("Field '/data' is not defined")]);
      await call('PATCH', '/v1/servers/linked/relationships/monitors', { body: '{"data":[]}' });
      expect(await rel()).toEqual([]);
      expect(
        (await call('PATCH', '/v1/servers/linked/relationships/filters', { body: '{"data":[]}' }))
          .text,
      ).toBe('');
      await remove('linked');
    });

    it('DELETE: refused while in use, force=yes unlinks, the name is reusable', async () => {
      await create(
        'busy',
        { address: '127.0.0.12', port: closedPort },
        {
          relationships: {
            services: {
              data: [
                { id: 'read-only', type: 'services' },
                { id: 'read-write', type: 'services' },
              ],
            },
            monitors: { data: [{ id: monitor, type: 'monitors' }] },
          },
        },
      );
      const refused = await call('DELETE', '/v1/servers/busy');
      expect([refused.status, refused.json]).toEqual([
        403,
        errors(`Cannot destroy server 'busy' as it is used by: read-only, read-write, ${monitor}`),
      ]);
      const forced = await call('DELETE', '/v1/servers/busy?force=YES');
      expect([forced.status, forced.text]).toEqual([204, '']);
      expect((await call('GET', '/v1/servers/busy')).status).toBe(404);
      expect((await call('DELETE', '/v1/servers/busy')).json).toEqual(
        errors('busy is not a server'),
      );
      await create('busy', { address: '127.0.0.12', port: closedPort });
      await remove('busy');
    });
  });

  describe('set and clear', () => {
    it('an unmonitored server takes any state; Master needs Running', async () => {
      await create('manual', { address: '127.0.0.13', port: closedPort });
      expect((await call('PUT', '/v1/servers/manual/set?state=MASTER')).status).toBe(204);
      expect(await fixture.state('manual')).toBe('Down');
      await call('PUT', '/v1/servers/manual/set?state=running');
      expect(await fixture.state('manual')).toBe('Master, Running');
      await call('PUT', '/v1/servers/manual/set?state=maint');
      expect(await fixture.state('manual')).toBe('Maintenance, Running');
      await call('PUT', '/v1/servers/manual/clear?state=running');
      expect(await fixture.state('manual')).toBe('Maintenance, Down');
      await remove('manual');
    });

    it('a bad or missing state is refused', async () => {
      for (const query of ['', '?state=sideways'])
        expect((await call('PUT', `/v1/servers/pg2/set${query}`)).json).toEqual(
          errors('Invalid or missing value for the `state` parameter'),
        );
    });

    it('a member is monitored: only maintenance and drain', async () => {
      const answer = await call('PUT', '/v1/servers/pg2/set?state=master');
      expect([answer.status, answer.json]).toEqual([
        403,
        errors(
          'Server  pg2 is monitored so only maintenance and drain status can be altered manually. Status was not modified.',
        ),
      ]);
    });

    it('maintenance takes a replica out of /replica and /read-only but not /health; clear restores it', async () => {
      expect((await call('PUT', '/v1/servers/pg2/set?state=maintenance')).status).toBe(204);
      expect(await fixture.state('pg2')).toBe('Maintenance, Running');
      for (const [path, code] of [
        ['/replica', 503],
        ['/read-only', 503],
        ['/async', 503],
        ['/health', 200],
      ] as const)
        expect((await call('GET', path, { member: 'pg2' })).status).toBe(code);
      expect((await call('PUT', '/v1/servers/pg2/clear?state=maintenance')).status).toBe(204);
      expect(await fixture.state('pg2')).toBe('Slave, Running');
      expect((await call('GET', '/replica', { member: 'pg2' })).status).toBe(200);
    });

    it('drain: Drained without connections, out of the read endpoints', async () => {
      await call('PUT', '/v1/servers/pg3/set?state=drain');
      expect(await fixture.state('pg3')).toBe('Drained, Slave, Running');
      expect((await call('GET', '/replica', { member: 'pg3' })).status).toBe(503);
      await call('PUT', '/v1/servers/pg3/clear?state=drain');
      expect(await fixture.state('pg3')).toBe('Slave, Running');
    });

    it('draining the primary is refused (the PostgreSQL monitor rule); maintenance is not', async () => {
      const answer = await call('PUT', '/v1/servers/pg1/set?state=drain');
      expect([answer.status, answer.json]).toEqual([
        403,
        errors('The server is master, so it cannot be set to draining mode.'),
      ]);
      expect(await fixture.state('pg1')).toBe('Master, Running');
      expect((await call('PUT', '/v1/servers/pg1/clear?state=drain')).status).toBe(204);
      expect((await call('PUT', '/v1/servers/pg1/set?state=maintenance')).status).toBe(204);
      expect(await fixture.state('pg1')).toBe('Maintenance, Running');
      expect((await call('PUT', '/v1/servers/pg1/clear?state=maintenance')).status).toBe(204);
      expect(await fixture.state('pg1')).toBe('Master, Running');
    });

    it('forced maintenance of a Down server is 204: it has no connections to close', async () => {
      await create('unreachable', { address: '127.0.0.14', port: closedPort });
      expect(await fixture.state('unreachable')).toBe('Down');
      const answer = await call('PUT', '/v1/servers/unreachable/set?state=maintenance&force=yes');
      expect([answer.status, answer.text]).toEqual([204, '']);
      expect(await fixture.state('unreachable')).toBe('Maintenance, Down');
      await remove('unreachable');
    });
  });

  describe('what maxctrl sends', () => {
    it('GET /v1/ is 200 with no body, as MaxScale answers the probe of maxctrl -h host1,host2', async () => {
      for (const path of ['/v1', '/v1/']) {
        const answer = await call('GET', path);
        expect([answer.status, answer.text]).toEqual([200, '']);
        expect(answer.headers.get('cache-control')).toBe('no-cache');
      }
      expect((await call('GET', '/v1/', { auth: null })).status).toBe(401);
    });

    it('filter[<JSONPath>]= with the expression language; repeated filters are ANDed', async () => {
      const ids = async (query: string) => {
        const answer = await call('GET', `/v1/servers?${query}`);
        expect(answer.status).toBe(200);
        return doc(answer).data.map((server) => server.id);
      };
      const pg2Port = JSON.stringify(
        doc(await call('GET', '/v1/servers/pg2')).data.attributes.parameters['port'],
      );
      expect(await ids('filter[attributes.state]="Slave, Running"')).toEqual(['pg2', 'pg3']);
      expect(await ids('filter[$.attributes.state]=ne("Slave, Running")')).toEqual(['pg1']);
      expect(await ids(`filter[attributes.parameters.port]=eq(${pg2Port})`)).toEqual(['pg2']);
      expect(await ids('filter[attributes[\'node_id\']]=ge(2)&filter[id]=lt("pg3")')).toEqual([
        'pg2',
      ]);
      expect(await ids('filter[relationships.services.data[*].id]="read-only"')).toEqual([
        'pg1',
        'pg2',
        'pg3',
      ]);
      expect(await ids('filter[id]=or(eq("pg1"),eq("pg3"))')).toEqual(['pg1', 'pg3']);
      expect(await ids('filter[id]=not(eq("pg1"))&filter=/id="pg2"')).toEqual(['pg2']);
      expect(await ids('filter[attributes.nothing]=eq(1)')).toEqual([]);
    });

    it.each([
      ['filter[id]=magic("pg2")', 'Not a valid filter expression: magic("pg2")'],
      ['filter[id]=eq("pg2"', "Expected ')', got ''"],
      ['filter[id]=eq(pg2)', 'Invalid JSON: pg2)'],
      ['filter[id]=', 'Empty filter expression'],
      ['filter[id]="pg2"x', 'Unexpected trailing data: x'],
      ['filter=/id=magic()', 'Not a valid filter expression: magic()'],
    ])('a bad filter is refused with a JSON:API error: %s', async (query, detail) => {
      const answer = await call('GET', `/v1/servers?${query}`);
      expect([answer.status, answer.json]).toEqual([400, errors(detail)]);
    });

    it('filter[<JSONPath>] on a single resource is refused, never ignored', async () => {
      const answer = await call('GET', '/v1/servers/pg1?filter[id]="pg2"');
      expect(answer.status).toBe(400);
      expect(doc(answer).errors?.[0]?.detail).toMatch(/collection/);
    });

    it('services and the monitor: relationship routes, error documents for unknown ones', async () => {
      const related = await call('GET', `/v1/monitors/${monitor}/relationships/servers`);
      expect(related.status).toBe(200);
      expect(related.json).toEqual({
        data: ['pg1', 'pg2', 'pg3'].map((id) => ({ id, type: 'servers' })),
        links: {
          related: `http://127.0.0.1:${fixture.port}/v1/servers/`,
          self: `http://127.0.0.1:${fixture.port}/v1/monitors/${monitor}/relationships/servers/`,
        },
      });
      const served = doc(await call('GET', '/v1/services/read-only/relationships/servers'));
      expect(served.data.map((item) => item.id)).toEqual(['pg1', 'pg2', 'pg3']);
      for (const [path, detail] of [
        ['/v1/services/nope', 'nope is not a service'],
        ['/v1/services/nope/relationships/servers', 'nope is not a service'],
        ['/v1/monitors/nope', 'nope is not a monitor'],
        ['/v1/monitors/nope/relationships/servers', 'nope is not a monitor'],
        ['/v1/filters/nope', 'nope is not a filter'],
      ] as const) {
        const answer = await call('GET', path);
        expect([path, answer.status, answer.json]).toEqual([path, 404, errors(detail)]);
      }
      const none = await call('GET', '/v1/services/read-only/relationships/filters');
      expect([none.status, none.text]).toEqual([404, '']);
      const filters = await call('GET', '/v1/filters');
      expect([filters.status, doc(filters).data]).toEqual([200, []]);
    });

    it('link and unlink a service, as maxctrl does: GET the service, PATCH it back', async () => {
      await create('linkable', { address: '127.0.0.15', port: closedPort });
      const linkService = async (ids: string[]) => {
        const current = doc(await call('GET', '/v1/services/read-only'));
        const body = {
          data: {
            id: current.data.id,
            type: current.data.type,
            links: current.data.links,
            relationships: {
              servers: { data: ids.map((id) => ({ id, type: 'servers' })) },
              services: { data: [] },
              monitors: { data: [] },
              filters: { data: [] },
            },
          },
        };
        return call('PATCH', '/v1/services/read-only', { body: JSON.stringify(body) });
      };
      expect((await linkService(['pg1', 'pg2', 'pg3', 'linkable'])).status).toBe(204);
      expect(
        doc(await call('GET', '/v1/servers/linkable')).data.relationships['services']?.data,
      ).toEqual([{ id: 'read-only', type: 'services' }]);
      expect((await linkService(['pg1', 'pg3'])).status).toBe(204);
      const servers = doc(await call('GET', '/v1/services/read-only')).data.relationships;
      expect(servers['servers']?.data.map((item) => item.id)).toEqual(['pg1', 'pg3']);
      expect(
        doc(await call('GET', '/v1/servers/pg2')).data.relationships['services']?.data,
      ).toEqual([{ id: 'read-write', type: 'services' }]);
      expect(
        (
          await call('PATCH', '/v1/services/read-only/relationships/servers', {
            body: JSON.stringify({
              data: ['pg1', 'pg2', 'pg3'].map((id) => ({ id, type: 'servers' })),
            }),
          })
        ).status,
      ).toBe(204);
      const restored = doc(await call('GET', '/v1/services/read-only/relationships/servers'));
      expect(restored.data.map((item) => item.id)).toEqual(['pg1', 'pg2', 'pg3']);
      await remove('linkable');
    });

    it('link and unlink on the monitor: servers natroni does not manage only', async () => {
      await create('watched', { address: '127.0.0.16', port: closedPort });
      const patchMonitor = (ids: string[]) =>
        call('PATCH', `/v1/monitors/${monitor}`, {
          body: JSON.stringify({
            data: {
              relationships: { servers: { data: ids.map((id) => ({ id, type: 'servers' })) } },
            },
          }),
        });
      expect((await patchMonitor(['pg1', 'pg2', 'pg3', 'watched'])).status).toBe(204);
      expect(
        doc(await call('GET', '/v1/servers/watched')).data.relationships['monitors']?.data,
      ).toEqual([{ id: monitor, type: 'monitors' }]);
      expect((await patchMonitor(['pg1', 'pg2', 'pg3'])).status).toBe(204);
      expect(doc(await call('GET', '/v1/servers/watched')).data.relationships).toEqual({});
      const unlinkMember = await patchMonitor(['pg1', 'pg2']);
      expect([unlinkMember.status, unlinkMember.json]).toEqual([
        403,
        errors(`Server 'pg3' is a natroni member: it is always monitored by '${monitor}'`),
      ]);
      await remove('watched');
    });

    it('what does not map onto natroni gets an error document', async () => {
      const toService = await call('PATCH', '/v1/services/read-only/relationships/services', {
        body: JSON.stringify({ data: [{ id: 'read-write', type: 'services' }] }),
      });
      expect([toService.status, toService.json]).toEqual([
        403,
        errors(
          "Cannot link service 'read-only' to 'read-write': natroni's services link to servers only",
        ),
      ]);
      const alter = await call('PATCH', '/v1/services/read-only', {
        body: JSON.stringify({ data: { attributes: { parameters: { user: 'maxuser' } } } }),
      });
      expect([alter.status, alter.json]).toEqual([
        403,
        errors("The parameters of service 'read-only' are natroni's and cannot be altered"),
      ]);
      const stop = await call('PUT', `/v1/monitors/${monitor}/stop`);
      expect(stop.status).toBe(403);
      expect(doc(stop).errors?.[0]?.detail).toMatch(
        new RegExp(`^Could not stop monitor '${monitor}'\\. `),
      );
      expect((await call('PUT', `/v1/monitors/${monitor}/start`)).status).toBe(204);
      expect((await call('PUT', '/v1/monitors/nope/stop')).json).toEqual(
        errors('nope is not a monitor'),
      );
      const malformed = await call('PATCH', '/v1/services/read-only', { body: '{' });
      expect(malformed.status).toBe(400);
    });
  });

  describe('authentication', () => {
    it('no or wrong credentials: 401 "Access denied" with the Basic challenge (not for XMLHttpRequest)', async () => {
      const answer = await call('GET', '/v1/servers', { auth: null });
      expect([answer.status, answer.json]).toEqual([401, errors('Access denied')]);
      expect(answer.headers.get('www-authenticate')).toBe('Basic realm="maxscale"');
      const xhr = await call('GET', '/v1/servers', {
        auth: 'Basic eDp5',
        headers: { 'x-requested-with': 'XMLHttpRequest' },
      });
      expect(xhr.status).toBe(401);
      expect(xhr.headers.get('www-authenticate')).toBeNull();
    });

    it('the read-only user may GET but not write; the admin may write', async () => {
      expect((await call('GET', '/v1/servers', { auth: READONLY_HEADER })).status).toBe(200);
      const write = await call('PUT', '/v1/servers/pg2/set?state=drain', { auth: READONLY_HEADER });
      expect([write.status, write.json]).toEqual([401, errors('Access denied')]);
      expect(await fixture.state('pg2')).toBe('Slave, Running');
      expect((await call('GET', '/v1/servers', { auth: AUTH_HEADER })).status).toBe(200);
    });
  });

  describe('validation: one test per rule', () => {
    const post = (body: unknown) =>
      call('POST', '/v1/servers', { body: typeof body === 'string' ? body : JSON.stringify(body) });
    const base = { address: '127.0.0.20', port: 1 };
    it.each<[string, unknown, string]>([
      ['data not an object', { data: 1 }, "The '/data' field is not an object"],
      [
        'id missing',
        { data: { type: 'servers', attributes: { parameters: base } } },
        "The '/data/id' field is not a string",
      ],
      [
        'type not a string',
        { data: { id: 'v', type: 1, attributes: { parameters: base } } },
        "The '/data/type' field is not a string",
      ],
      [
        'type not servers',
        { data: { id: 'v', type: 'services', attributes: { parameters: base } } },
        "The '/data/type' field is 'services', not 'servers'",
      ],
      [
        'empty id',
        { data: { id: '', type: 'servers', attributes: { parameters: base } } },
        "The '/data/id' field is empty",
      ],
      [
        'reserved @@ prefix',
        { data: { id: '@@x', type: 'servers', attributes: { parameters: base } } },
        "The name '@@x' starts with '@@', which is a prefix reserved for MaxScale.",
      ],
      [
        'attributes not an object',
        { data: { id: 'v', type: 'servers', attributes: [] } },
        "The '/data/attributes' field is not an object",
      ],
      [
        'parameters not an object',
        { data: { id: 'v', type: 'servers', attributes: { parameters: 'x' } } },
        "The '/data/attributes/parameters' field is not an object",
      ],
      [
        'parameters missing',
        { data: { id: 'v', type: 'servers' } },
        "Field '/data/attributes/parameters' is not defined",
      ],
      [
        'newline in a value',
        {
          data: {
            id: 'v',
            type: 'servers',
            attributes: { parameters: { ...base, ssl_cipher: 'a\nb' } },
          },
        },
        "Parameter 'ssl_cipher' contains unescaped newlines",
      ],
      [
        'relationships not an object',
        { data: { id: 'v', type: 'servers', attributes: { parameters: base }, relationships: [] } },
        "Field '/data/relationships' is not an object",
      ],
      [
        'unknown relationship type',
        {
          data: {
            id: 'v',
            type: 'servers',
            attributes: { parameters: base },
            relationships: { foo: {} },
          },
        },
        "'foo' is not a valid MaxScale relationship type",
      ],
      [
        'relationship entry not an object',
        {
          data: {
            id: 'v',
            type: 'servers',
            attributes: { parameters: base },
            relationships: { services: 1 },
          },
        },
        "Field '/data/relationships/services' is not an object",
      ],
      [
        'relationship data not an array',
        {
          data: {
            id: 'v',
            type: 'servers',
            attributes: { parameters: base },
            relationships: { services: { data: 1 } },
          },
        },
        "Field '/data/relationships/services/data' is not an array",
      ],
      [
        'malformed relationship element',
        {
          data: {
            id: 'v',
            type: 'servers',
            attributes: { parameters: base },
            relationships: { services: { data: [{ id: 1 }] } },
          },
        },
        'Malformed relationship object',
      ],
      [
        'unknown service',
        {
          data: {
            id: 'v',
            type: 'servers',
            attributes: { parameters: base },
            relationships: { services: { data: [{ id: 'nope', type: 'services' }] } },
          },
        },
        "'nope' is not a valid object of type 'services'",
      ],
      [
        'element of the wrong type',
        {
          data: {
            id: 'v',
            type: 'servers',
            attributes: { parameters: base },
            relationships: { monitors: { data: [{ id: 'read-only', type: 'services' }] } },
          },
        },
        "'read-only' is not a valid object of type 'monitors'",
      ],
      [
        'unrecognized parameter',
        {
          data: { id: 'v', type: 'servers', attributes: { parameters: { ...base, 'no such': 1 } } },
        },
        "servers: The parameter 'no such' is unrecognized.",
      ],
      [
        'port as a string',
        {
          data: {
            id: 'v',
            type: 'servers',
            attributes: { parameters: { address: 'h', port: '5432' } },
          },
        },
        'port: Expected a json integer, but got a json string.',
      ],
      [
        'port too large',
        {
          data: {
            id: 'v',
            type: 'servers',
            attributes: { parameters: { address: 'h', port: 65536 } },
          },
        },
        'port: Too large a value: 65536, the maximum is 65535.',
      ],
      [
        'address and socket',
        {
          data: {
            id: 'v',
            type: 'servers',
            attributes: { parameters: { ...base, socket: '/tmp/s' } },
          },
        },
        "Both 'address=127.0.0.20' and 'socket=/tmp/s' defined: only one of the parameters can be defined",
      ],
      [
        'neither address nor socket',
        { data: { id: 'v', type: 'servers', attributes: { parameters: { port: 1 } } } },
        "Missing a required parameter: either 'address' or 'socket' must be defined",
      ],
      [
        'address that is a path',
        {
          data: {
            id: 'v',
            type: 'servers',
            attributes: { parameters: { address: '/tmp', port: 1 } },
          },
        },
        "The 'address' parameter is not a valid IP or hostname",
      ],
      [
        'address too long',
        {
          data: {
            id: 'v',
            type: 'servers',
            attributes: { parameters: { address: 'a'.repeat(1025), port: 1 } },
          },
        },
        'The new value for address is too long. Maximum length is 1024 characters.',
      ],
      [
        'port missing with an address',
        { data: { id: 'v', type: 'servers', attributes: { parameters: { address: 'h' } } } },
        "Request body does not define the '/data/attributes/parameters/port' field",
      ],
      [
        'monitoruser without monitorpw',
        {
          data: {
            id: 'v',
            type: 'servers',
            attributes: { parameters: { ...base, monitoruser: 'u' } },
          },
        },
        "If 'monitoruser is defined, 'monitorpw' must also be defined.",
      ],
      [
        'monitorpw without monitoruser',
        {
          data: {
            id: 'v',
            type: 'servers',
            attributes: { parameters: { ...base, monitorpw: 'p' } },
          },
        },
        "If 'monitorpw is defined, 'monitoruser' must also be defined.",
      ],
      [
        'ssl_cert without ssl_key',
        {
          data: {
            id: 'v',
            type: 'servers',
            attributes: { parameters: { ...base, ssl: true, ssl_cert: '/c' } },
          },
        },
        "Both 'ssl_cert' and 'ssl_key' must be defined",
      ],
      [
        'bad enumeration',
        {
          data: {
            id: 'v',
            type: 'servers',
            attributes: { parameters: { ...base, rank: 'third' } },
          },
        },
        'rank: Invalid enumeration value: third. Valid values are: primary, secondary.',
      ],
      [
        'custom parameter object',
        { data: { id: 'v', type: 'servers', attributes: { parameters: { ...base, weight: {} } } } },
        "Custom parameter 'weight' must be a string, a number or a boolean, not a json object.",
      ],
    ])('%s', async (_rule, body, detail) => {
      const answer = await post(body);
      expect([answer.status, answer.json]).toEqual([403, errors(detail)]);
    });

    it('PATCH without data', async () => {
      const answer = await call('PATCH', '/v1/servers/pg2', { body: '{}' });
      expect([answer.status, answer.json]).toEqual([403, errors("No '/data' field defined")]);
    });

    it('PATCH with a null relationship kind', async () => {
      const answer = await call('PATCH', '/v1/servers/pg2', {
        body: '{"data":{"relationships":{"services":null}}}',
      });
      expect(answer.json).toEqual(
        errors("Relationship '/data/relationships/services' is not an object"),
      );
    });

    it('relationship PATCH with data neither an array nor null', async () => {
      const answer = await call('PATCH', '/v1/servers/pg2/relationships/services', {
        body: '{"data":"x"}',
      });
      expect(answer.json).toEqual(errors("Field '/data' is not an array"));
    });
  });

  describe('fuzz', () => {
    it('5,000 malformed requests: no 5xx, stored servers unchanged', async () => {
      await create('fuzz-target', { address: '127.0.0.30', port: closedPort });
      const snapshot = async () => {
        const entries: string[] = [];
        const bucket = await rawBucket(fixture.writer, fixture.store);
        for await (const key of await bucket.keys(`${SERVER_KEY_PREFIX}>`)) {
          const entry = await bucket.get(key);
          entries.push(`${key}@${entry?.revision}`);
        }
        return entries.sort();
      };
      const before = await snapshot();
      let seed = 42;
      const random = () => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed / 2 ** 31;
      };
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
      const junk = () =>
        pick<unknown>([
          null,
          1,
          -1.5,
          'x',
          '',
          true,
          [],
          {},
          [1, 'a'],
          { a: null },
          'a\nb',
          'é'.repeat(3),
          2 ** 60,
        ]);
      const bodies = [
        () => pick(['{', '}', '[', 'null', '"', '{"data":', '\u0000', 'nan', '{"data":{]}']),
        () => JSON.stringify(junk()),
        () => JSON.stringify({ data: pick([1, 'x', true, -1.5, [1, 'a'], {}]) }),
        () => JSON.stringify({ data: { id: junk(), type: junk(), attributes: junk() } }),
        () =>
          JSON.stringify({
            data: {
              id: 'fz',
              type: 'servers',
              attributes: {
                parameters: {
                  address: junk(),
                  port: pick([-1, 70000, 1.5, 'x', [], {}, true]),
                  socket: junk(),
                },
              },
            },
          }),
        () =>
          JSON.stringify({
            data: {
              attributes: {
                parameters: {
                  [pick(['port', 'ssl', 'rank', 'priority', 'bad key', 'persistmaxtime'])]: pick([
                    'x',
                    1.5,
                    [],
                    {},
                  ]),
                },
              },
            },
          }),
        () =>
          JSON.stringify({
            data: {
              relationships: {
                [pick(['services', 'monitors', 'foo', 'filters'])]: pick([
                  1,
                  { data: 'x' },
                  { data: [junk()] },
                  { data: [{ id: 'nope', type: 'services' }] },
                ]),
              },
            },
          }),
        () => JSON.stringify({ data: pick([null, 'x', { data: [{ id: 1, type: 2 }] }]) }),
      ];
      const requests: Array<[string, string, string | undefined]> = [];
      while (requests.length < 5000) {
        const kind = Math.floor(random() * 6);
        const body = pick(bodies)();
        if (kind === 0) requests.push(['POST', '/v1/servers', body]);
        else if (kind === 1)
          requests.push(['PATCH', `/v1/servers/${pick(['fuzz-target', 'pg2'])}`, body]);
        else if (kind === 2)
          requests.push([
            'PATCH',
            `/v1/servers/fuzz-target/relationships/${pick(['services', 'monitors'])}`,
            body,
          ]);
        else if (kind === 3)
          requests.push([
            'PUT',
            `/v1/servers/${pick(['fuzz-target', 'pg1'])}/${pick(['set', 'clear'])}?state=${pick(['', 'bogus', 'master%00', '%E2%9C%93', 'maintenancex'])}`,
            undefined,
          ]);
        else if (kind === 4)
          requests.push([
            pick(['DELETE', 'PATCH', 'PUT']),
            `/v1/servers/${pick(['nope', 'n%20o', '%40%40x', 'a.b', '..', '%2F'])}`,
            body,
          ]);
        else
          requests.push([
            pick(['GET', 'POST', 'DELETE']),
            `/v1/${pick(['servers/fuzz-target/relationships/x', 'servers/pg1/set', 'monitors/nope', 'x/y/z'])}?page[size]=${pick(['0', 'a', '-1'])}`,
            body,
          ]);
      }
      const statuses = new Map<number, number>();
      let next = 0;
      const worker = async () => {
        while (next < requests.length) {
          const [method, path, body] = requests[next++] as [string, string, string | undefined];
          const answer = await call(
            method,
            path,
            body === undefined || method === 'GET' ? {} : { body },
          );
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          if (answer.status >= 500 || (answer.status < 400 && answer.status !== 204))
            throw new Error(`${method} ${path} ${body} gave ${answer.status}: ${answer.text}`);
          if (answer.text !== '' && !Array.isArray((answer.json as Doc | undefined)?.errors))
            throw new Error(
              `${method} ${path} gave a body that is not a JSON:API error: ${answer.text}`,
            );
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
      // A few generated bodies are well-formed no-ops (`{"data":{}}`): 204 without a write.
      expect(statuses.get(204) ?? 0).toBeLessThan(requests.length / 10);
      expect([...statuses.keys()].every((status) => status < 500)).toBe(true);
      expect(await snapshot()).toEqual(before);
      await remove('fuzz-target');
    }, 180_000);
  });

  it('an unmanaged server pointing at a closed port stays Down after polls', async () => {
    await create('closed', { address: '127.0.0.1', port: closedPort });
    await waitUntil(async () => ((await fixture.state('closed')) === 'Down' ? true : undefined), {
      timeoutMs: 5_000,
      what: 'closed to be polled',
    });
    await remove('closed');
  });
});
