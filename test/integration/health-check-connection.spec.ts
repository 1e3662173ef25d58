import { connect, type Socket } from 'node:net';
import { PatroniGatewayFixture } from '../support/patroni-gateway-fixture.ts';

/**
 * A member listener answers health checks on the socket itself and gives any other request, with the
 * bytes it has not answered, to Node's HTTP server (apps/api-gateway/src/patroni/health-check-connection.ts).
 * Raw sockets here, so that pipelining, split heads, HTTP/1.0 and malformed input are what they say.
 */
let fixture: PatroniGatewayFixture;

beforeAll(async () => {
  fixture = await PatroniGatewayFixture.start();
  await fixture.standardCluster();
});

afterAll(async () => {
  await fixture?.dispose();
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
async function exchange(chunks: string[], chunkGapMs = 0): Promise<string> {
  const socket: Socket = connect(fixture.ports.pg1, '127.0.0.1');
  socket.setEncoding('latin1');
  let received = '';
  socket.on('data', (data: string) => (received += data));
  const closed = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the server kept the connection open; received ${received}`)),
      10_000,
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
    const noHost = parseResponses(await exchange(['GET /primary HTTP/1.1\r\n\r\n']));
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
