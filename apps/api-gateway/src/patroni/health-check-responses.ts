import { STATUS_CODES } from 'node:http';
import { errorPage } from './error-page.ts';
import { originForm } from './request-target.ts';
import type { StatusAnswer } from './status-responder.ts';

/** A request head the fast path answers itself. */
export type RequestHead =
  | { readonly kind: 'check'; readonly method: string; readonly target: string; keepAlive: boolean }
  /** A method Patroni's server has no handler for (lower-case ones included): its 501 page. */
  | { readonly kind: 'unsupported'; readonly method: string };

const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) ([!-~]+) HTTP\/1\.([01])$/;
const HEADER_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*([ -~\t]*?)[ \t]*$/;
/** The methods Patroni's handler has a `do_` function for; Python answers any other one 501. */
const PATRONI_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE']);
const FAST_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The head of a request the fast path may answer, or undefined to hand the request over. */
export function readHead(head: string): RequestHead | undefined {
  const lines = head.split('\n');
  const request = REQUEST_LINE.exec(withoutCr(lines[0]));
  if (!request) return undefined;
  const method = request[1];
  const http11 = request[3] === '1';
  let connection = '';
  let body = false;
  for (let index = 1; index < lines.length; index += 1) {
    const header = HEADER_LINE.exec(withoutCr(lines[index]));
    if (!header) return undefined;
    const name = header[1].toLowerCase();
    const value = header[2];
    if (name === 'connection') connection = value.toLowerCase();
    else if (name === 'transfer-encoding' || name === 'upgrade' || name === 'expect') body = true;
    else if (name === 'content-length' && value !== '0') body = true;
  }
  if (!PATRONI_METHODS.has(method)) return { kind: 'unsupported', method };
  if (body || !FAST_METHODS.has(method)) return undefined;
  const target = originForm(request[2]);
  if (target === undefined) return undefined;
  const keepAlive = http11 ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
  return { kind: 'check', method, target, keepAlive };
}

function withoutCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** Node's answer when a head does not arrive in time (its headersTimeout), and the fast path's. */
export const REQUEST_TIMEOUT_RESPONSE = Buffer.from(
  'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n',
);

const MAX_KNOWN_HEADS = 256;
const MAX_KNOWN_HEAD_LENGTH = 1024;
const STATUS_LINE_ONLY = {};

/**
 * What one listener's fast path has already worked out: the request heads it has read (a load balancer
 * sends the same bytes with every check) and the responses made this second, by document and shape (the
 * same Buffer until the member's status changes). Both are bounded, since heads are the client's choice.
 * Responses are made again each second for the Date header, as Node does.
 */
export class HealthCheckResponses {
  private readonly heads = new Map<string, RequestHead | undefined>();
  private responsesSecond = 0;
  private responses = new WeakMap<object, Map<string, Buffer>>();

  constructor(private readonly idleTimeoutMs: number) {}

  head(text: string): RequestHead | undefined {
    if (text.length > MAX_KNOWN_HEAD_LENGTH) return readHead(text);
    if (this.heads.has(text)) return this.heads.get(text);
    if (this.heads.size >= MAX_KNOWN_HEADS) this.heads.clear();
    const read = readHead(text);
    this.heads.set(text, read);
    return read;
  }

  response(answer: StatusAnswer, keepAlive: boolean): Buffer {
    const now = Date.now();
    const second = Math.floor(now / 1000);
    if (second !== this.responsesSecond) {
      this.responsesSecond = second;
      this.responses = new WeakMap();
    }
    const owner = answer.document ?? STATUS_LINE_ONLY;
    let byShape = this.responses.get(owner);
    if (!byShape) {
      byShape = new Map();
      this.responses.set(owner, byShape);
    }
    const shape = `${answer.code} ${keepAlive}`;
    let bytes = byShape.get(shape);
    if (!bytes) {
      bytes = this.responseBytes(answer, keepAlive, new Date(now).toUTCString());
      byShape.set(shape, bytes);
    }
    return bytes;
  }

  /** Python's `send_error(501, "Unsupported method (...)")`, after which Patroni closes. */
  unsupported(method: string): Buffer {
    const page = Buffer.from(errorPage(501, `Unsupported method (${pythonRepr(method)})`));
    const head =
      'HTTP/1.1 501 Not Implemented\r\n' +
      'Content-Type: text/html;charset=utf-8\r\n' +
      `Content-Length: ${page.length}\r\n` +
      `Date: ${new Date().toUTCString()}\r\n` +
      'Connection: close\r\n\r\n';
    return Buffer.concat([Buffer.from(head, 'latin1'), page]);
  }

  private responseBytes(answer: StatusAnswer, keepAlive: boolean, date: string): Buffer {
    const document = answer.document;
    const head =
      `HTTP/1.1 ${answer.code} ${STATUS_CODES[answer.code] ?? ''}\r\n` +
      (document ? 'Content-Type: application/json\r\n' : '') +
      `Content-Length: ${document ? document.length : 0}\r\n` +
      `Date: ${date}\r\n` +
      (keepAlive
        ? `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(this.idleTimeoutMs / 1000)}\r\n\r\n`
        : 'Connection: close\r\n\r\n');
    return document ? Buffer.concat([Buffer.from(head, 'latin1'), document]) : Buffer.from(head);
  }
}

/** Python's repr of a method name, as its error message quotes it: a token has no quote to escape. */
function pythonRepr(text: string): string {
  return text.includes("'") ? `"${text}"` : `'${text}'`;
}
