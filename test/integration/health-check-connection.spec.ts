import { connect, type Socket } from 'node:net';
import { DEFAULT_LISTENER_SETTINGS } from '../../apps/api-gateway/src/listener-settings.ts';
import { waitUntil } from '../../libs/harness/src/index.ts';
import { PatroniGatewayFixture } from '../support/patroni-gateway-fixture.ts';

/**
 * A member listener answers health checks on the socket itself and gives any other request, with the
 * bytes it has not answered, to Node's HTTP server (apps/api-gateway/src/patroni/health-check-connection.ts).
 * Raw sockets here, so that pipelining, split heads, HTTP/1.0 and malformed input are what they say.
 * The listener's bounds are short here, so that the tests of them wait little.
 */
const HEAD_TIMEOUT_MS = 1_000;
const IDLE_TIMEOUT_MS = 2_000;
const MAX_CONNECTIONS = 60;
const LISTENER = {
  ...DEFAULT_LISTENER_SETTINGS,
  headTimeoutMs: HEAD_TIMEOUT_MS,
  idleTimeoutMs: IDLE_TIMEOUT_MS,
  maxConnections: MAX_CONNECTIONS,
};
/** Long enough for any bound above on a loaded machine; only a listener that never closes reaches it. */
const CLOSE_WAIT_MS = 15_000;
let fixture: PatroniGatewayFixture;
/** The same gateway with NATRONI_GATEWAY_HEALTH_CHECK_FAST_PATH=off: Node's server takes everything. */
let nodeOnly: PatroniGatewayFixture;

beforeAll(async () => {
  fixture = await PatroniGatewayFixture.start({ listener: LISTENER });
  await fixture.standardCluster();
  nodeOnly = await PatroniGatewayFixture.start({ listener: { ...LISTENER, fastPath: false } });
  await nodeOnly.standardCluster();
});

// The fixture's lease lasts 30 s unless renewed, and the tests of timeouts take some seconds each.
beforeEach(async () => {
  await fixture.setLeader('pg1', 1);
  await nodeOnly.setLeader('pg1', 1);
});

afterAll(async () => {
  await fixture?.dispose();
  await nodeOnly?.dispose();
});

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Splits what the server sent into responses, by Content-Length or an empty chunked body. */
function parseResponses(raw: string): RawResponse[] {
  const responses: RawResponse[] = [];
  let rest = raw;
  while (rest.length > 0) {
    const headEnd = rest.indexOf('\r\n\r\n');
    if (headEnd === -1) throw new Error(`an incomplete response head: ${JSON.stringify(rest)}`);
    const [statusLine, ...lines] = rest.slice(0, headEnd).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const chunked = headers['transfer-encoding'] === 'chunked';
    if (chunked && !rest.startsWith('0\r\n\r\n', headEnd + 4))
      throw new Error(`a chunked body other than the empty one: ${JSON.stringify(rest)}`);
    const length = chunked ? 5 : Number(headers['content-length'] ?? 0);
    const bodyStart = headEnd + 4;
    responses.push({
      status: Number(statusLine.split(' ')[1]),
      headers,
      body: rest.slice(bodyStart, bodyStart + length),
    });
    rest = rest.slice(bodyStart + length);
  }
  return responses;
}

/** Writes `chunks` one by one and collects everything until the server closes the connection. */
async function exchange(
  chunks: string[],
  chunkGapMs = 0,
  port = fixture.ports.pg1,
): Promise<string> {
  const socket: Socket = connect(port, '127.0.0.1');
  socket.setEncoding('latin1');
  let received = '';
  socket.on('data', (data: string) => (received += data));
  const closed = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the server kept the connection open; received ${received}`)),
      CLOSE_WAIT_MS,
    );
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  for (const chunk of chunks) {
    socket.write(chunk);
    if (chunkGapMs > 0) await new Promise((resolve) => setTimeout(resolve, chunkGapMs));
  }
  await closed;
  return received;
}

const get = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;

describe('member listener connections', () => {
  it('answers pipelined health checks in order, HEAD and OPTIONS with the status only', async () => {
    const raw = await exchange([
      get('/primary') +
        get('/replica') +
        'HEAD /primary HTTP/1.1\r\nHost: x\r\n\r\n' +
        'OPTIONS /replica HTTP/1.1\r\nHost: x\r\n\r\n' +
        get('/patroni', 'Connection: close\r\n'),
    ]);
    const responses = parseResponses(raw);
    expect(responses.map((response) => response.status)).toEqual([200, 503, 200, 503, 200]);
    expect(JSON.parse(responses[0].body)).toMatchObject({ role: 'primary', state: 'running' });
    expect(responses[0].headers['content-type']).toBe('application/json');
    expect(responses[0].headers['connection']).toBe('keep-alive');
    expect(responses[0].headers['date']).toMatch(/GMT$/);
    expect(responses[2]).toMatchObject({ body: '', headers: { 'content-length': '0' } });
    expect(responses[4].headers['connection']).toBe('close');
  });

  it('answers a request head that arrives a few bytes at a time', async () => {
    const request = get('/primary?lag=1MB', 'Connection: close\r\n');
    const chunks = request.match(/.{1,5}/gs) ?? [];
    const [response] = parseResponses(await exchange(chunks, 5));
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ role: 'primary' });
  });

  it('gives the connection to the routed API at its first other request, keeping the order', async () => {
    const raw = await exchange([
      get('/primary') +
        'POST /reload HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}' +
        get('/cluster') +
        get('/replica', 'Connection: close\r\n'),
    ]);
    const responses = parseResponses(raw);
    expect(responses.map((response) => response.status)).toEqual([200, 401, 200, 503]);
    expect(responses[1].body).toBe('no auth header received');
    expect(JSON.parse(responses[2].body)).toHaveProperty('members');
  });

  it('closes an HTTP/1.0 connection after its answer unless asked to keep it', async () => {
    const [plain] = parseResponses(await exchange(['GET /primary HTTP/1.0\r\n\r\n']));
    expect(plain.status).toBe(200);
    expect(plain.headers['connection']).toBe('close');
    const kept = parseResponses(
      await exchange([
        'GET /primary HTTP/1.0\r\nConnection: keep-alive\r\n\r\n' + 'GET /replica HTTP/1.0\r\n\r\n',
      ]),
    );
    expect(kept.map((response) => response.status)).toEqual([200, 503]);
  });

  it("leaves malformed and oversized requests to Node's parser, which refuses them", async () => {
    const garbage = parseResponses(await exchange(['GARBAGE\r\n\r\n']));
    expect(garbage.map((response) => response.status)).toEqual([400]);
    const noHost = parseResponses(await exchange(['POST /reload HTTP/1.1\r\n\r\n']));
    expect(noHost.map((response) => response.status)).toEqual([400]);
    const huge = parseResponses(
      await exchange([get('/primary', `X-Big: ${'a'.repeat(20_000)}\r\n`)]),
    );
    expect(huge.map((response) => response.status)).toEqual([431]);
    const folded = parseResponses(
      await exchange(['GET /primary HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  folded\r\n\r\n']),
    );
    expect(folded.map((response) => response.status)).toEqual([400]);
  });
});

/** A connection that reads everything and resolves `closed` with it when the server closes it. */
function openConnection(port: number): { socket: Socket; closed: Promise<string> } {
  const socket: Socket = connect(port, '127.0.0.1');
  socket.setEncoding('latin1');
  let received = '';
  socket.on('data', (data: string) => (received += data));
  // A server that closes with unread bytes resets the connection: the close is what counts here.
  socket.on('error', () => undefined);
  const closed = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the server kept the connection open; received ${received}`)),
      CLOSE_WAIT_MS,
    );
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(received);
    });
  });
  return { socket, closed };
}

it('closes a client that pipelines without reading once it has been idle', async () => {
  const { socket, closed } = openConnection(fixture.ports.pg2);
  socket.pause();
  const batch = get('/patroni').repeat(10_000);
  for (let sent = 0; sent < 40; sent += 1) socket.write(batch);
  await closed;
});

describe("requests as Patroni's server takes them", () => {
  it('answers heads whose lines end in a bare LF, as check scripts send them', async () => {
    const [plain] = parseResponses(await exchange(['GET /primary HTTP/1.0\n\n']));
    expect(plain.status).toBe(200);
    expect(plain.headers['connection']).toBe('close');
    const mixed = parseResponses(
      await exchange([
        'GET /replica HTTP/1.1\nHost: x\r\n\n' +
          'HEAD /primary HTTP/1.1\r\nHost: x\nConnection: close\n\r\n',
      ]),
    );
    expect(mixed.map((response) => response.status)).toEqual([503, 200]);
  });

  it("gives a routed request sent with bare LFs to Node's server with CRLFs", async () => {
    const [cluster] = parseResponses(await exchange(['GET /cluster HTTP/1.0\n\n']));
    expect(cluster.status).toBe(200);
    expect(JSON.parse(cluster.body)).toHaveProperty('members');
  });

  it('answers a health check without Host, on HTTP/1.1 as on 1.0', async () => {
    const [response] = parseResponses(
      await exchange(['GET /primary HTTP/1.1\r\nConnection: close\r\n\r\n']),
    );
    expect(response.status).toBe(200);
  });

  it.each(['get', 'Get', 'PROPFIND', 'TRACE'])(
    "answers %s with Patroni's 501 page and closes",
    async (method) => {
      const responses = parseResponses(
        await exchange([`${method} /primary HTTP/1.1\r\nHost: x\r\n\r\n` + get('/primary')]),
      );
      expect(responses.map((response) => response.status)).toEqual([501]);
      expect(responses[0].body).toContain(`Message: Unsupported method ('${method}').`);
      expect(responses[0].headers['connection']).toBe('close');
    },
  );

  it('reads the path without its fragment, and an absolute-form target by its path', async () => {
    const responses = parseResponses(
      await exchange([
        get('/replica#primary') +
          get('/primary?lag=1MB#x') +
          get('http://example.com/primary', 'Connection: close\r\n'),
      ]),
    );
    expect(responses.map((response) => response.status)).toEqual([503, 200, 200]);
  });
});

describe.each([
  ['the fast path', () => fixture],
  ["Node's server (fast path off)", () => nodeOnly],
])('the bounds of a member listener, with %s', (_name, gateway) => {
  it('answers 408 and closes when a head does not arrive within the head timeout', async () => {
    const { socket, closed } = openConnection(gateway().ports.pg2);
    socket.write('GET /primary HTTP/1.1\r\nHost');
    expect(await closed).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
  });

  it('closes a kept-alive connection that stays idle', async () => {
    const { socket, closed } = openConnection(gateway().ports.pg2);
    socket.write(get('/replica'));
    const responses = parseResponses(await closed);
    expect(responses.map((response) => response.status)).toEqual([200]);
    expect(responses[0].headers['connection']).toBe('keep-alive');
  });

  it('stops reading a client that does not read its answers', async () => {
    const { socket, closed } = openConnection(gateway().ports.pg2);
    socket.pause();
    // Far more than the kernel's socket buffers hold: the rest stays with the client.
    const batch = get('/patroni').repeat(10_000);
    for (let sent = 0; sent < 40; sent += 1) socket.write(batch);
    const total = socket.writableLength;
    let previous = -1;
    const stalled = await waitUntil(
      () => {
        const unsent = socket.writableLength;
        const still = unsent === previous ? unsent : undefined;
        previous = unsent;
        return still;
      },
      { timeoutMs: 10_000, intervalMs: 200, what: 'the client to stop sending' },
    );
    expect(stalled).toBeGreaterThan(0);
    expect(stalled).toBeLessThan(total);
    expect((await gateway().call('pg2', 'GET', '/replica')).status).toBe(200);
    socket.destroy();
    await closed;
  });

  it('refuses connections past its limit with a 503 that says why', async () => {
    const extra = 5;
    const connections = Array.from({ length: MAX_CONNECTIONS + extra }, () =>
      openConnection(gateway().ports.pg3),
    );
    const received = await Promise.all(connections.map((connection) => connection.closed));
    const refused = received.filter((text) => text.startsWith('HTTP/1.1 503'));
    expect(refused).toHaveLength(extra);
    expect(refused[0]).toContain('connections open, its limit (NATRONI_GATEWAY_MAX_CONNECTIONS)');
    expect(received.filter((text) => !text.startsWith('HTTP/1.1 503'))).toHaveLength(
      MAX_CONNECTIONS,
    );
    expect((await gateway().call('pg3', 'GET', '/replica')).status).toBe(200);
  });
});

describe('with the fast path off', () => {
  it("answers pipelined health checks and routed requests through Node's server", async () => {
    const raw = await exchange(
      [get('/primary') + get('/cluster') + get('/replica', 'Connection: close\r\n')],
      0,
      nodeOnly.ports.pg1,
    );
    expect(parseResponses(raw).map((response) => response.status)).toEqual([200, 200, 503]);
  });

  it("refuses bare LF line endings, as Node's parser does", async () => {
    const raw = await exchange(['GET /primary HTTP/1.0\n\n'], 0, nodeOnly.ports.pg1);
    expect(parseResponses(raw).map((response) => response.status)).toEqual([400]);
  });
});
