import { create } from '@bufbuild/protobuf';
import {
  applyFieldset,
  assertDrainable,
  jsonPathValues,
  parseFilterExpression,
  healthVerdict,
  inMaintenance,
  isDraining,
  JsonApiError,
  memberTopology,
  mergeParameters,
  normalizeServerName,
  parameterSetErrors,
  parseDocumentQuery,
  parseHealthQuery,
  parseSettableState,
  postgresVersionString,
  readCreateServerRequest,
  readRelationshipRequest,
  readRequestBody,
  readUpdateServerRequest,
  renderJson,
  serverKeyToken,
  serverNameError,
  serverStateString,
  shapeCollection,
  shownParameters,
  uptimeSeconds,
  type ClusterFacts,
  type MemberFacts,
  type ObjectDirectory,
} from '../../libs/domain/src/index.ts';
import { MemberStatusSchema, ServerRecordSchema } from '../../libs/proto/src/index.ts';

describe('MaxScale state strings', () => {
  it.each([
    [{ running: true, master: true }, 0, 'Master, Running'],
    [{ running: true, slave: true }, 0, 'Slave, Running'],
    [{ running: true, slave: true, relayMaster: true }, 0, 'Relay Master, Slave, Running'],
    [{ running: true, master: true, synced: true }, 0, 'Master, Synced, Running'],
    [{ running: true, master: true, maintenance: true }, 0, 'Maintenance, Running'],
    [{ running: true, slave: true, drain: true }, 0, 'Drained, Slave, Running'],
    [{ running: true, slave: true, drain: true }, 4, 'Draining, Slave, Running'],
    [{ running: true }, 0, 'Running'],
    [{ running: false }, 0, 'Down'],
    [{ running: false, maintenance: true }, 0, 'Maintenance, Down'],
    [{ running: false, authError: true }, 0, 'Auth Error, Down'],
    [{ running: false, master: true }, 0, 'Down'],
  ])('%j with %i connections is "%s"', (bits, connections, expected) => {
    expect(serverStateString(bits, connections)).toBe(expected);
  });
});

describe('server names (MaxScale 2.x docs: case-insensitive, whitespace as hyphens)', () => {
  it('normalises and validates', () => {
    expect(normalizeServerName('my  server')).toBe('my-server');
    expect(serverKeyToken('My Server')).toBe('my-server');
    expect(serverNameError('My Server')).toBeUndefined();
    expect(serverNameError('@@hidden')).toContain("starts with '@@'");
    expect(serverNameError('a.b')).toContain('not a valid server name');
    expect(serverNameError('x'.repeat(65))).toContain('not a valid server name');
  });
});

describe('replication topology of the members', () => {
  const status = (name: string, role: string, standbys: string[] = []) =>
    create(MemberStatusSchema, {
      name,
      role,
      state: 'running',
      replication: standbys.map((applicationName) => ({ applicationName, state: 'streaming' })),
    });

  it('a primary with two replicas', () => {
    const topology = memberTopology([
      { name: 'pg2', status: status('pg2', 'replica') },
      { name: 'pg1', status: status('pg1', 'primary', ['pg2', 'pg3']) },
      { name: 'pg3', status: status('pg3', 'replica') },
    ]);
    expect(topology.get('pg1')).toEqual({
      nodeId: 1,
      masterId: -1,
      replicationDepth: 0,
      slaves: [2, 3],
    });
    expect(topology.get('pg2')).toEqual({
      nodeId: 2,
      masterId: 1,
      replicationDepth: 1,
      slaves: [],
    });
    expect(topology.get('pg3')).toEqual({
      nodeId: 3,
      masterId: 1,
      replicationDepth: 1,
      slaves: [],
    });
  });

  it('a cascade, and a replica nobody streams to', () => {
    const topology = memberTopology([
      { name: 'pg1', status: status('pg1', 'primary', ['pg2']) },
      { name: 'pg2', status: status('pg2', 'replica', ['pg3']) },
      { name: 'pg3', status: status('pg3', 'replica') },
      { name: 'pg4', status: undefined },
    ]);
    expect(topology.get('pg2')).toEqual({
      nodeId: 2,
      masterId: 1,
      replicationDepth: 1,
      slaves: [3],
    });
    expect(topology.get('pg3')?.replicationDepth).toBe(2);
    expect(topology.get('pg4')).toEqual({
      nodeId: 4,
      masterId: -1,
      replicationDepth: -1,
      slaves: [],
    });
  });

  it('version strings and uptime', () => {
    expect(postgresVersionString(150018)).toBe('15.18');
    expect(postgresVersionString(90624)).toBe('9.6.24');
    expect(postgresVersionString(undefined)).toBe('');
    const now = Date.parse('2026-11-23T10:48:03.902608Z');
    expect(uptimeSeconds('2026-11-23 10:47:03.902608+00:00', now)).toBe(60);
    expect(uptimeSeconds(undefined, now)).toBe(0);
  });
});

describe('server parameters', () => {
  it('shows every parameter with its default, masks passwords, hides legacy keys', () => {
    const shown = shownParameters({
      socket: '/tmp/.s.PGSQL.5432',
      monitoruser: 'u',
      monitorpw: 'p',
      type: 'server',
      weight: 3,
    });
    expect(shown['address']).toBeNull();
    expect(shown['port']).toBeNull();
    expect(shown['monitorpw']).toBe('*****');
    expect(shown['persistmaxtime']).toBe('0ms');
    expect(shown['weight']).toBe(3);
    expect(shown).not.toHaveProperty('type');
  });

  it('merges with null removing a key', () => {
    expect(
      mergeParameters({ address: 'a', port: 1, w: 1 }, { w: null, x: 'y', ssl_ca_cert: '/c' }),
    ).toEqual({
      address: 'a',
      port: 1,
      x: 'y',
      ssl_ca: '/c',
    });
  });

  it.each([
    [{ address: '127.0.0.1', port: 5432 }, []],
    [
      { address: '127.0.0.1', socket: '/tmp/x' },
      [
        "Both 'address=127.0.0.1' and 'socket=/tmp/x' defined: only one of the parameters can be defined",
      ],
    ],
    [
      { port: 5432 },
      ["Missing a required parameter: either 'address' or 'socket' must be defined"],
    ],
    [{ address: '/tmp', port: 1 }, ["The 'address' parameter is not a valid IP or hostname"]],
    [
      { address: 'h' },
      ["Request body does not define the '/data/attributes/parameters/port' field"],
    ],
    [{ address: 'h', port: '5432' }, ['port: Expected a json integer, but got a json string.']],
    [{ address: 'h', port: 70000 }, ['port: Too large a value: 70000, the maximum is 65535.']],
    [
      { address: 'h', port: 1, monitoruser: 'u' },
      ["If 'monitoruser is defined, 'monitorpw' must also be defined."],
    ],
    [{ address: 'h', port: 1, monitoruser: '', monitorpw: '' }, []],
    [
      { address: 'h', port: 1, ssl: true, ssl_cert: '/c' },
      ["Both 'ssl_cert' and 'ssl_key' must be defined"],
    ],
    [
      { address: 'h', port: 1, 'bad name': 1 },
      ["servers: The parameter 'bad name' is unrecognized."],
    ],
    [
      { address: 'h', port: 1, weight: [1] },
      ["Custom parameter 'weight' must be a string, a number or a boolean, not a json array."],
    ],
  ])('%j gives %j', (parameters, errors) => {
    expect(parameterSetErrors(parameters)).toEqual(errors);
  });
});

describe('request bodies', () => {
  const directory: ObjectDirectory = {
    exists: (kind, name) =>
      (kind === 'services' && name === 'read-write') || (kind === 'monitors' && name === 'batman'),
  };
  const refusal = (action: () => unknown): string[] => {
    try {
      action();
    } catch (error) {
      if (error instanceof JsonApiError) return [String(error.status), ...error.details];
      throw error;
    }
    return [];
  };

  it('reads JSON whatever the content type, refuses a malformed or missing one', () => {
    expect(readRequestBody('{"a":1}', true)).toEqual({ a: 1 });
    expect(refusal(() => readRequestBody(undefined, true))).toEqual([
      '403',
      'Missing request body',
    ]);
    const malformed = refusal(() => readRequestBody('{', true));
    expect(malformed[0]).toBe('400');
    expect(malformed[1]).toMatch(/^Invalid JSON in request: /);
  });

  it('a create names, types and parameterises the server', () => {
    const created = readCreateServerRequest(
      {
        data: {
          id: 'My Server',
          type: 'servers',
          attributes: { parameters: { address: 'h', port: 1 } },
          relationships: { services: { data: [{ id: 'read-write', type: 'services' }] } },
        },
      },
      directory,
    );
    expect(created).toEqual({
      name: 'My-Server',
      parameters: { address: 'h', port: 1 },
      relationships: { services: ['read-write'] },
    });
    const parameters = { attributes: { parameters: {} } };
    expect(
      refusal(() =>
        readCreateServerRequest({ data: { type: 'servers', ...parameters } }, directory),
      ),
    ).toEqual(['403', "The '/data/id' field is not a string"]);
    expect(
      refusal(() =>
        readCreateServerRequest({ data: { id: 's', type: 'monitors', ...parameters } }, directory),
      ),
    ).toEqual(['403', "The '/data/type' field is 'monitors', not 'servers'"]);
    expect(
      refusal(() => readCreateServerRequest({ data: { id: 's', type: 'servers' } }, directory)),
    ).toEqual(['403', "Field '/data/attributes/parameters' is not defined"]);
    expect(
      refusal(() =>
        readCreateServerRequest(
          { data: { id: 's', type: 'servers', ...parameters, relationships: { foo: {} } } },
          directory,
        ),
      ),
    ).toEqual(['403', "'foo' is not a valid MaxScale relationship type"]);
  });

  it('a patch ignores id and type; relationship patches take an array or null', () => {
    expect(
      readUpdateServerRequest(
        { data: { id: 'other', attributes: { parameters: { w: null } } } },
        directory,
      ),
    ).toEqual({
      parameters: { w: null },
      relationships: {},
    });
    expect(refusal(() => readUpdateServerRequest({}, directory))).toEqual([
      '403',
      "No '/data' field defined",
    ]);
    expect(readRelationshipRequest('monitors', { data: null }, directory)).toEqual([]);
    expect(
      refusal(() => readRelationshipRequest('monitors', { monitors: null }, directory)),
    ).toEqual(['403', "Field '/data' is not defined"]);
    expect(
      refusal(() =>
        readRelationshipRequest(
          'services',
          { data: [{ id: 'nope', type: 'services' }] },
          directory,
        ),
      ),
    ).toEqual(['403', "'nope' is not a valid object of type 'services'"]);
  });

  it('states are case-insensitive and the unknown ones refused', () => {
    expect(parseSettableState('MAINT')).toBe('maintenance');
    expect(parseSettableState('Drain')).toBe('drain');
    expect(refusal(() => parseSettableState('constructor'))).toEqual([
      '403',
      'Invalid or missing value for the `state` parameter',
    ]);
    expect(refusal(() => parseSettableState(undefined))[0]).toBe('403');
  });
});

describe('JSON:API documents', () => {
  const resource = {
    id: 's1',
    type: 'servers',
    links: { self: 'x' },
    attributes: { state: 'Running', parameters: { port: 1, address: 'a' } },
    relationships: { services: { data: [] } },
  };

  it('sparse fieldsets keep id, type and links and drop what is empty', () => {
    expect(applyFieldset(resource, [['state']])).toEqual({
      id: 's1',
      type: 'servers',
      links: { self: 'x' },
      attributes: { state: 'Running' },
    });
    expect(applyFieldset(resource, [['parameters', 'port'], ['services']])).toEqual({
      id: 's1',
      type: 'servers',
      links: { self: 'x' },
      attributes: { parameters: { port: 1 } },
      relationships: { services: { data: [] } },
    });
  });

  it('filters, pages and renders with sorted keys', () => {
    const query = parseDocumentQuery(new URLSearchParams('filter=/id="s2"&fields[servers]=state'));
    const data = [resource, { ...resource, id: 's2' }];
    const shaped = shapeCollection({ links: { self: 'l' }, data }, 'servers', query, () => 'p');
    expect(shaped['data']).toEqual([
      { id: 's2', type: 'servers', links: { self: 'x' }, attributes: { state: 'Running' } },
    ]);
    const paged = shapeCollection(
      { links: { self: 'l' }, data },
      'servers',
      parseDocumentQuery(new URLSearchParams('page[size]=1&page[number]=1')),
      (s, n) => `${s}:${n}`,
    );
    expect(paged['meta']).toEqual({ total: 2 });
    expect(paged['links']).toEqual({ self: '1:1', first: '1:0', last: '1:1', prev: '1:0' });
    expect(renderJson({ b: 1, a: { d: 1, c: 2 } }, false)).toBe('{"a":{"c":2,"d":1},"b":1}');
  });
});

describe('filter expressions and JSON paths', () => {
  it.each<[string, unknown, boolean]>([
    ['"Running"', 'Running', true],
    ['eq({"a":[1,2]})', { a: [1, 2] }, true],
    ['eq({"a":[1,2]})', { a: [2, 1] }, false],
    ['ne(3)', 4, true],
    ['lt("b")', 'a', true],
    ['gt(2)', 'x', false],
    ['le(2)', 'x', true],
    ['ge(2)', 'x', true],
    ['ge(2)', 1, false],
    ['and(gt(1),lt(3))', 2, true],
    ['or(eq(true),eq(null))', null, true],
    ['not(eq(1),eq(2))', 2, false],
  ])('%s on %j is %s', (expression, value, expected) => {
    expect(parseFilterExpression(expression)(value as never)).toBe(expected);
  });

  it('a literal that starts with a letter is read only inside a function, as MaxScale does', () => {
    expect(() => parseFilterExpression('true')).toThrow('Not a valid filter expression: true');
  });

  it('paths: dots, brackets, indexes, lists, wildcards, an optional $', () => {
    const value = { a: { b: [{ c: 1 }, { c: 2 }, { c: 3 }] }, 'x.y': 4 };
    expect(jsonPathValues(value, '$.a.b[*].c')).toEqual([1, 2, 3]);
    expect(jsonPathValues(value, "a['b'][0,2].c")).toEqual([1, 3]);
    expect(jsonPathValues(value, "['x.y']")).toEqual([4]);
    expect(jsonPathValues(value, 'a.*[1].c')).toEqual([2]);
    expect(jsonPathValues(value, 'a.b[7].c')).toEqual([]);
    expect(jsonPathValues(value, 'a.')).toEqual([]);
    expect(jsonPathValues(value, 'a[0')).toEqual([]);
  });
});

describe('drain', () => {
  it('a primary cannot be set to draining; clearing and maintenance stay allowed', () => {
    expect(() => assertDrainable(true, true, 'drain')).toThrow(
      'The server is master, so it cannot be set to draining mode.',
    );
    expect(() => assertDrainable(true, false, 'drain')).not.toThrow();
    expect(() => assertDrainable(true, true, 'maintenance')).not.toThrow();
    expect(() => assertDrainable(false, true, 'drain')).not.toThrow();
  });
});

describe('maintenance takes a member out of the read endpoints', () => {
  const cluster: ClusterFacts = {
    scope: 'batman',
    viewFresh: true,
    dcsLastSeen: 0,
    leaderName: 'pg1',
    leaseValid: true,
    paused: false,
    failsafeMode: false,
    failsafeMembers: [],
    standbyCluster: false,
    synchronousMode: 'off',
    syncStandbys: [],
    leaderWalPosition: 0,
    maximumLagOnFailover: 1048576,
    ttlMs: 30_000,
  };
  const member = (name: string, role: string, outOfReadRotation: boolean): MemberFacts => ({
    name,
    statusAgeMs: 100,
    outOfReadRotation,
    status: create(MemberStatusSchema, { name, role, state: 'running' }),
  });
  const verdict = (path: string, facts: MemberFacts, overrides: Partial<ClusterFacts> = {}) =>
    healthVerdict(path, parseHealthQuery(''), facts, { ...cluster, ...overrides });

  it('inMaintenance and isDraining read the record', () => {
    expect(inMaintenance(undefined)).toBe(false);
    expect(inMaintenance(create(ServerRecordSchema, { maintenance: true }))).toBe(true);
    expect(isDraining(create(ServerRecordSchema, { drain: true }))).toBe(true);
  });

  it.each(['/replica', '/read-only', '/async', '/asynchronous'])(
    'a replica: %s 200 → 503',
    (path) => {
      expect(verdict(path, member('pg2', 'replica', false))).toBe(200);
      expect(verdict(path, member('pg2', 'replica', true))).toBe(503);
    },
  );

  it('/sync and /quorum too; /health stays', () => {
    const sync = { synchronousMode: 'on' as const, syncStandbys: ['pg2'] };
    expect(verdict('/sync', member('pg2', 'replica', false), sync)).toBe(200);
    expect(verdict('/sync', member('pg2', 'replica', true), sync)).toBe(503);
    const quorum = { synchronousMode: 'quorum' as const, syncStandbys: ['pg2'] };
    expect(verdict('/quorum', member('pg2', 'replica', true), quorum)).toBe(503);
    expect(verdict('/health', member('pg2', 'replica', true))).toBe(200);
  });

  it('the primary keeps /primary, /leader, /read-only and /health', () => {
    for (const path of ['/primary', '/leader', '/read-only', '/health', '/read-write'])
      expect(verdict(path, member('pg1', 'primary', true))).toBe(200);
  });
});
