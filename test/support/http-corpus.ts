import { AUTH_HEADER } from './patroni-gateway-fixture.ts';

/**
 * A seeded corpus of malformed, truncated, oversized and adversarial HTTP requests, as raw bytes: what
 * a member listener or the cluster-wide API must answer or close without a crash, an undocumented 5xx,
 * or a change to what is stored. The smuggling shapes hide an authorized write (PATCH /config, POST
 * /switchover) where a correct parser reads a body, so that a parser that reads it as a request shows
 * in the store.
 */
export interface CorpusRequest {
  /** The shape, for failure messages. */
  kind: string;
  /** Written one after the other, then the client half-closes. */
  chunks: Buffer[];
}

/** A small deterministic generator, so that a failure can be replayed from its seed. */
export function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const CONFIG_WRITE =
  `PATCH /config HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH_HEADER}\r\n` +
  'Content-Length: 11\r\n\r\n{"ttl": 99}';
const SWITCHOVER =
  `POST /switchover HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH_HEADER}\r\n` +
  'Content-Length: 36\r\n\r\n{"leader":"pg1","candidate":"pg2"} ';
const HIDDEN = [CONFIG_WRITE, SWITCHOVER];

const METHODS = [
  'GET',
  'HEAD',
  'OPTIONS',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'get',
  'Get',
  'PROPFIND',
  'TRACE',
  'CONNECT',
  'G ET',
  ' GET',
  '',
  'GET\0',
  'GÉT',
];
const PATHS = [
  '/',
  '/primary',
  '/replica',
  '/replica?lag=1MB',
  '/read-only',
  '/patroni',
  '/liveness',
  '/readiness',
  '/health',
  '/cluster',
  '/history',
  '/config',
  '/failsafe',
  '/metrics',
  '/switchover',
  '/failover',
  '/restart',
  '/reload',
  '/v1/servers',
  '/primary#fragment',
  '/replica?lag=%zz#x',
  '/%00',
  '/\0primary',
  '//primary',
  '/../../etc/passwd',
  '*',
  'primary',
  'http://example.com/primary',
  'https://example.com:8008/replica?lag=1',
  'example.com:443',
  '/caf\u00e9',
  '/primary?' + 'a=1&'.repeat(300),
];
const VERSIONS = [
  'HTTP/1.1',
  'HTTP/1.0',
  'HTTP/0.9',
  'HTTP/2.0',
  'HTTP/1.2',
  'http/1.1',
  'HTTP/1.10',
  'HTTP/11',
  'HTTP/1.1 ',
  'HTTP/',
  '',
];
const EOLS = ['\r\n', '\n', '\r', '\n\r'];
const HEADERS = [
  'Host: x',
  'Host: x',
  'Connection: close',
  'Connection: keep-alive',
  'Connection: Upgrade\r\nUpgrade: websocket',
  'Expect: 100-continue',
  'Content-Length: 0',
  'Content-Length: -1',
  'Content-Length: 1e3',
  'Content-Length: 00',
  'Content-Length:',
  'Transfer-Encoding: identity',
  'Host: a\r\nHost: b',
  'X-Empty:',
  'X-Spaces:    ',
  'Bad Header: 1',
  ': no name',
  'NoColon',
  'X-Fold: a\r\n b',
  'X-Tab:\tvalue',
  'X-Nul: a\0b',
  'X-Latin: caf\u00e9',
  'X-CR: a\rb',
  'Authorization: Basic !!!',
  `Authorization: ${AUTH_HEADER}`,
];

type Pick = <T>(items: readonly T[]) => T;

function chunked(random: () => number, text: string): Buffer[] {
  const bytes = Buffer.from(text, 'latin1');
  const cuts = Math.floor(random() * 3);
  const points = Array.from({ length: cuts }, () => Math.floor(random() * bytes.length)).sort(
    (a, b) => a - b,
  );
  const chunks: Buffer[] = [];
  let from = 0;
  for (const point of points) {
    chunks.push(bytes.subarray(from, point));
    from = point;
  }
  chunks.push(bytes.subarray(from));
  return chunks.filter((chunk) => chunk.length > 0);
}

function request(random: () => number, pick: Pick): string {
  const eol = random() < 0.7 ? '\r\n' : pick(EOLS);
  const headers = Array.from({ length: Math.floor(random() * 4) }, () => pick(HEADERS));
  const line = `${pick(METHODS)} ${pick(PATHS)} ${pick(VERSIONS)}`;
  const body = random() < 0.1 ? `Content-Length: 5${eol}${eol}hello` : eol;
  return [line, ...headers].join(eol) + eol + body;
}

/** Shapes that hide a write where a correct parser reads a body (or refuses the request). */
function smuggling(random: () => number, pick: Pick): string {
  const hidden = pick(HIDDEN);
  const method = pick(['POST /reload', 'GET /primary', 'GET /cluster', 'POST /failover']);
  const start = `${method} HTTP/1.1\r\nHost: x\r\n`;
  const chunk = `${hidden.length.toString(16)}\r\n${hidden}\r\n0\r\n\r\n`;
  const shapes = [
    // CL.TE and TE.CL: Content-Length covers the hidden request, chunked ends before it.
    `${start}Content-Length: ${5 + hidden.length}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${hidden}`,
    `${start}Transfer-Encoding: chunked\r\nContent-Length: ${5 + hidden.length}\r\n\r\n0\r\n\r\n${hidden}`,
    `${start}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n${chunk}`,
    // Duplicate and conflicting Content-Length.
    `${start}Content-Length: 0\r\nContent-Length: ${hidden.length}\r\n\r\n${hidden}`,
    `${start}Content-Length: ${hidden.length}\r\nContent-Length: 0\r\n\r\n${hidden}`,
    `${start}Content-Length: ${hidden.length}, 0\r\n\r\n${hidden}`,
    `${start}Content-Length: ${hidden.length}\r\nContent-Length: ${hidden.length}\r\n\r\n${hidden}`,
    // Transfer-Encoding spelt so that some parsers miss it.
    `${start}Transfer-Encoding: xchunked\r\nContent-Length: ${hidden.length}\r\n\r\n${hidden}`,
    `${start}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n${hidden}`,
    `${start}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n${hidden}`,
    `${start}Transfer-Encoding:\x0bchunked\r\n\r\n0\r\n\r\n${hidden}`,
    `${start}Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n${hidden}`,
    // obs-fold and NUL inside the headers that frame the body.
    `${start}Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n${hidden}`,
    `${start}Content-Length:\r\n ${hidden.length}\r\n\r\n${hidden}`,
    `${start}X-A: 1\0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${hidden}`,
    `${start}Transfer-Encoding: chunked\0\r\n\r\n0\r\n\r\n${hidden}`,
    // The hidden request as the body that Content-Length or a chunk says it is.
    `${start}Content-Length: ${hidden.length}\r\n\r\n${hidden}`,
    `${start}Transfer-Encoding: chunked\r\n\r\n${chunk}`,
    `GET /primary HTTP/1.1\nHost: x\nContent-Length: ${hidden.length}\n\n${hidden}`,
    `GET /primary HTTP/1.1\r\nHost: x\r\nContent-Length: ${hidden.length}\r\n\n${hidden}`,
    // Bad chunk sizes and extensions.
    `${start}Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF\r\n${hidden}`,
    `${start}Transfer-Encoding: chunked\r\n\r\n-1\r\n${hidden}`,
    `${start}Transfer-Encoding: chunked\r\n\r\n${hidden.length.toString(16)};${'e'.repeat(20_000)}\r\n${hidden}\r\n0\r\n\r\n`,
    // Bare CR as a line ending, and a request line with absolute-form hiding a second one.
    `GET /primary HTTP/1.1\rHost: x\rContent-Length: ${hidden.length}\r\r${hidden}`,
    `GET http://x/primary HTTP/1.1\r\nHost: y\r\nContent-Length: ${hidden.length}\r\n\r\n${hidden}`,
  ];
  return pick(shapes);
}

function oversized(random: () => number, pick: Pick): string {
  const size = 16_000 + Math.floor(random() * 60_000);
  const shapes = [
    `GET /primary?${'x'.repeat(size)} HTTP/1.1\r\nHost: x\r\n\r\n`,
    `GET /primary HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(size)}\r\n\r\n`,
    `GET /primary HTTP/1.1\r\n${Array.from({ length: 300 }, (_, index) => `X-${index}: v`).join('\r\n')}\r\n\r\n`,
    `POST /reload HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n${'b'.repeat(size)}`,
    `PATCH /config HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\n\r\n{"ttl":${'9'.repeat(size - 8)}}`,
    `GET /primary HTTP/1.1${'\r\nHost: x'.repeat(2_000)}\r\n\r\n`,
    `${'\r\n'.repeat(size / 2)}GET /primary HTTP/1.1\r\n\r\n`,
  ];
  return pick(shapes);
}

function pipeline(random: () => number, pick: Pick): string {
  const count = 20 + Math.floor(random() * 800);
  const checks = Array.from(
    { length: count },
    () =>
      `${pick(['GET', 'HEAD', 'OPTIONS'])} ${pick(PATHS.slice(0, 9))} HTTP/1.1\r\nHost: x\r\n\r\n`,
  ).join('');
  const tail = random() < 0.5 ? smuggling(random, pick) : request(random, pick);
  return checks + tail;
}

function bytes(random: () => number): string {
  const length = 1 + Math.floor(random() * 2_000);
  return String.fromCharCode(...Array.from({ length }, () => Math.floor(random() * 256)));
}

function withNul(random: () => number, pick: Pick): string {
  const text = request(random, pick);
  const at = Math.floor(random() * text.length);
  return `${text.slice(0, at)}\0${text.slice(at)}`;
}

function truncated(random: () => number, pick: Pick): string {
  const text = random() < 0.5 ? request(random, pick) : smuggling(random, pick);
  return text.slice(0, Math.floor(random() * text.length));
}

const SHAPES: ReadonlyArray<[string, number, (random: () => number, pick: Pick) => string]> = [
  ['request', 40, request],
  ['smuggling', 20, smuggling],
  ['truncated', 15, truncated],
  ['oversized', 5, oversized],
  ['nul', 8, withNul],
  ['bytes', 7, (random) => bytes(random)],
  ['pipeline', 5, pipeline],
];
const WEIGHT = SHAPES.reduce((sum, [, weight]) => sum + weight, 0);

/** `count` requests from `seed`, the same every time. */
export function httpCorpus(seed: number, count: number): CorpusRequest[] {
  const random = generator(seed);
  const pick: Pick = (items) => items[Math.floor(random() * items.length)];
  const corpus: CorpusRequest[] = [];
  for (let index = 0; index < count; index += 1) {
    let roll = random() * WEIGHT;
    const [kind, , make] = SHAPES.find(([, weight]) => (roll -= weight) < 0) ?? SHAPES[0];
    corpus.push({ kind, chunks: chunked(random, make(random, pick)) });
  }
  return corpus;
}
