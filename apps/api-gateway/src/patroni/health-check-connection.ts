import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { StatusAnswer } from './status-responder.ts';

/**
 * Serves one TCP connection of a member listener: it answers the health checks itself, straight on the
 * socket, and hands the connection to Node's HTTP server at the first request that is anything else.
 *
 * Why not Node's HTTP server for everything: on the two cores of this machine kind, with wrk beside it,
 * `http.createServer` with a fixed body tops out at 24-31k requests/s, and the gateway's answers from
 * memory cost little beside it. A fixed body written on the socket reached 57k, and the gateway answers
 * about 40k this way at a lower p99 (the target: 30k at p99 5 ms). No library on the npm registry
 * serves HTTP faster without a native binary fetched from elsewhere.
 *
 * What it answers is deliberately narrow: an HTTP/1.0 or 1.1 GET, HEAD or OPTIONS with an origin-form
 * target, well-formed header lines, a Host header on 1.1, no body and no upgrade, that the
 * StatusResponder owns. Anything else, malformed input included, goes to Node's parser with the bytes
 * not yet answered, and Node answers it as before (400, 431, the routed API...).
 */
export interface HealthCheckConnection {
  socket: Socket;
  /** The StatusResponder's answer for this listener's member; undefined hands the request over. */
  answer(method: string, target: string): StatusAnswer | undefined;
  /** Gives the socket, with `unread` put back in front of its stream, to Node's HTTP server. */
  handOver(socket: Socket, unread: Buffer): void;
  /** The idle time after which a kept-alive connection is closed: Node's keepAliveTimeout. */
  idleTimeoutMs: number;
}

/** Node's own limit on a request head (--max-http-header-size): beyond it, Node answers 431. */
const MAX_HEAD_BYTES = 16 * 1024;
const HEAD_END = Buffer.from('\r\n\r\n');
const REQUEST_LINE = /^(GET|HEAD|OPTIONS) (\/[!-~]*) HTTP\/1\.([01])$/;
const HEADER_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/;

interface RequestHead {
  method: string;
  target: string;
  keepAlive: boolean;
}

/**
 * Request heads already read: a load balancer sends the same bytes with every check. Bounded, since
 * the heads are the client's choice.
 */
const heads = new Map<string, RequestHead | undefined>();
const MAX_KNOWN_HEADS = 256;
const MAX_KNOWN_HEAD_LENGTH = 1024;

function knownHead(head: string): RequestHead | undefined {
  if (head.length > MAX_KNOWN_HEAD_LENGTH) return readHead(head);
  if (heads.has(head)) return heads.get(head);
  if (heads.size >= MAX_KNOWN_HEADS) heads.clear();
  const read = readHead(head);
  heads.set(head, read);
  return read;
}

/** The head of a request this module may answer, or undefined to hand the request over. */
function readHead(head: string): RequestHead | undefined {
  const lines = head.split('\r\n');
  const request = REQUEST_LINE.exec(lines[0]);
  if (!request) return undefined;
  const http11 = request[3] === '1';
  let host = false;
  let connection = '';
  for (let index = 1; index < lines.length; index += 1) {
    const header = HEADER_LINE.exec(lines[index]);
    if (!header) return undefined;
    const name = header[1].toLowerCase();
    const value = header[2];
    if (name === 'host') host = true;
    else if (name === 'connection') connection = value.toLowerCase();
    else if (name === 'transfer-encoding' || name === 'upgrade' || name === 'expect')
      return undefined;
    else if (name === 'content-length' && value !== '0') return undefined;
  }
  if (http11 && !host) return undefined;
  const keepAlive = http11 ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
  return { method: request[1], target: request[2], keepAlive };
}

/**
 * The responses made this second, by document (the same Buffer until the member's status changes)
 * and shape: a load balancer asking over and over gets the same bytes, not new ones each time. They
 * are made again each second for the Date header, as Node does.
 */
let responsesSecond = 0;
let responses = new WeakMap<object, Map<string, Buffer>>();
const STATUS_LINE_ONLY = {};

function response(answer: StatusAnswer, keepAlive: boolean, idleTimeoutMs: number): Buffer {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== responsesSecond) {
    responsesSecond = second;
    responses = new WeakMap();
  }
  const owner = answer.document ?? STATUS_LINE_ONLY;
  let byShape = responses.get(owner);
  if (!byShape) {
    byShape = new Map();
    responses.set(owner, byShape);
  }
  const shape = `${answer.code} ${keepAlive} ${idleTimeoutMs}`;
  let bytes = byShape.get(shape);
  if (!bytes) {
    bytes = responseBytes(answer, keepAlive, idleTimeoutMs, new Date(now).toUTCString());
    byShape.set(shape, bytes);
  }
  return bytes;
}

function responseBytes(
  answer: StatusAnswer,
  keepAlive: boolean,
  idleTimeoutMs: number,
  date: string,
): Buffer {
  const document = answer.document;
  const head =
    `HTTP/1.1 ${answer.code} ${STATUS_CODES[answer.code] ?? ''}\r\n` +
    (document ? 'Content-Type: application/json\r\n' : '') +
    `Content-Length: ${document ? document.length : 0}\r\n` +
    `Date: ${date}\r\n` +
    (keepAlive
      ? `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(idleTimeoutMs / 1000)}\r\n\r\n`
      : 'Connection: close\r\n\r\n');
  return document ? Buffer.concat([Buffer.from(head, 'latin1'), document]) : Buffer.from(head);
}

export function serveHealthChecks(connection: HealthCheckConnection): void {
  const { socket } = connection;
  let pending: Buffer = Buffer.alloc(0);
  let closing = false;

  const handOver = (): void => {
    socket.pause();
    socket.off('data', onData);
    socket.off('timeout', onTimeout);
    socket.off('error', onError);
    socket.setTimeout(0);
    connection.handOver(socket, pending);
  };

  function onTimeout(): void {
    socket.destroy();
  }

  function onError(): void {
    socket.destroy();
  }

  function onData(chunk: Buffer): void {
    if (closing) return;
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    const replies: Buffer[] = [];
    for (;;) {
      const end = pending.indexOf(HEAD_END);
      if (end === -1) {
        if (pending.length > MAX_HEAD_BYTES) break;
        flush(replies);
        // A client that pipelines without reading its answers is not read further until it does, as
        // Node's own server does.
        if (socket.writableNeedDrain) {
          socket.pause();
          socket.once('drain', () => socket.resume());
        }
        return;
      }
      const head =
        end <= MAX_HEAD_BYTES ? knownHead(pending.toString('latin1', 0, end)) : undefined;
      const answer = head && connection.answer(head.method, head.target);
      if (!head || !answer) break;
      replies.push(response(answer, head.keepAlive, connection.idleTimeoutMs));
      pending = pending.subarray(end + HEAD_END.length);
      if (!head.keepAlive) {
        closing = true;
        flush(replies);
        socket.end();
        return;
      }
    }
    flush(replies);
    handOver();
  }

  function flush(replies: Buffer[]): void {
    if (replies.length === 1) socket.write(replies[0]);
    else if (replies.length > 1) socket.write(Buffer.concat(replies));
  }

  socket.setNoDelay(true);
  socket.setTimeout(connection.idleTimeoutMs);
  socket.on('timeout', onTimeout);
  socket.on('data', onData);
  socket.on('error', onError);
}
