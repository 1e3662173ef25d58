import type { Socket } from 'node:net';
import { REQUEST_TIMEOUT_RESPONSE, type HealthCheckResponses } from './health-check-responses.ts';
import type { StatusAnswer } from './status-responder.ts';

/**
 * Serves one TCP connection of a member listener: it answers the health checks itself, straight on the
 * socket, and hands the connection to Node's HTTP server at the first request that is anything else.
 *
 * Why not Node's HTTP server for everything: on the two cores of this machine kind, with wrk beside it,
 * `http.createServer` with a fixed body tops out at 24-31k requests/s, and the gateway's answers from
 * memory cost little beside it. A fixed body written on the socket reached 57k, and the gateway answers
 * about 40k this way at a lower p99. No library on the npm registry serves HTTP faster without a native
 * binary fetched from elsewhere. The listener setting NATRONI_GATEWAY_HEALTH_CHECK_FAST_PATH=off gives
 * every connection to Node's server instead, so that a doubt about this code can be settled in place.
 *
 * What it answers is deliberately narrow: an HTTP/1.0 or 1.1 GET, HEAD or OPTIONS with well-formed
 * header lines, no body and no upgrade, that the StatusResponder owns; and Patroni's 501 to a method
 * Patroni has no handler for. Lines may end in CRLF or a bare LF, as Patroni's server takes them.
 * Anything else, malformed input included, goes to Node's parser with the bytes not yet answered, and
 * Node answers it as before (400, 431, the routed API...).
 *
 * Its bounds are Node's: a head must arrive within the head timeout of its first byte (408 and close
 * otherwise), an idle connection is closed after the idle timeout, and a client that does not read
 * its answers is not read further until it does.
 */
export interface HealthCheckConnection {
  socket: Socket;
  /** The listener's caches of heads and responses. */
  responses: HealthCheckResponses;
  /** The StatusResponder's answer for this listener's member; undefined hands the request over. */
  answer(method: string, target: string): StatusAnswer | undefined;
  /** Gives the socket, with `unread` put back in front of its stream, to Node's HTTP server. */
  handOver(socket: Socket, unread: Buffer): void;
  headTimeoutMs: number;
  idleTimeoutMs: number;
}

/** Node's own limit on a request head (--max-http-header-size): beyond it, Node answers 431. */
const MAX_HEAD_BYTES = 16 * 1024;
/** Answers waiting for a client to read them, past which its requests are not read: Node's highWaterMark. */
const MAX_UNREAD_BYTES = 64 * 1024;
const LF = 0x0a;
const CR = 0x0d;

interface HeadEnd {
  /** Where the head's text ends: its last line's LF excluded. */
  at: number;
  /** Where the next request begins. */
  next: number;
}

/** The end of the first request head in `bytes`: an empty line, after CRLF or a bare LF. */
function findHeadEnd(bytes: Buffer): HeadEnd | undefined {
  let from = 0;
  for (;;) {
    const lf = bytes.indexOf(LF, from);
    if (lf === -1) return undefined;
    if (bytes[lf + 1] === LF) return { at: lf, next: lf + 2 };
    if (bytes[lf + 1] === CR && bytes[lf + 2] === LF) return { at: lf, next: lf + 3 };
    from = lf + 1;
  }
}

/**
 * The bytes to hand over, with the first head's bare LFs made CRLF: Node's parser refuses bare LFs,
 * which Patroni's server takes, and a routed request sent so is the first one a connection hands over.
 */
function withCrlfHead(unread: Buffer): Buffer {
  const end = findHeadEnd(unread);
  if (!end) return unread;
  const head = unread.toString('latin1', 0, end.at);
  const lines = head.split('\n');
  if (lines.every((line) => line.endsWith('\r'))) return unread;
  const crlf = lines.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line)).join('\r\n');
  return Buffer.concat([Buffer.from(`${crlf}\r\n\r\n`, 'latin1'), unread.subarray(end.next)]);
}

export function serveHealthChecks(connection: HealthCheckConnection): void {
  const { socket, responses } = connection;
  let pending: Buffer = Buffer.alloc(0);
  let headTimer: ReturnType<typeof setTimeout> | undefined;
  let waitingForDrain = false;
  /** The client has sent its FIN: what it sent is answered, then the connection ends. */
  let ended = false;
  /** The connection is ending, or belongs to Node's server. */
  let done = false;

  const stopHeadTimer = (): void => {
    clearTimeout(headTimer);
    headTimer = undefined;
  };

  const finish = (): void => {
    done = true;
    stopHeadTimer();
    socket.off('data', onData);
    socket.off('end', onEnd);
  };

  const handOver = (): void => {
    finish();
    socket.pause();
    socket.off('timeout', onTimeout);
    socket.off('error', onError);
    socket.off('close', stopHeadTimer);
    socket.setTimeout(0);
    connection.handOver(socket, withCrlfHead(pending));
  };

  function onHeadTimeout(): void {
    headTimer = undefined;
    if (done) return;
    finish();
    socket.end(REQUEST_TIMEOUT_RESPONSE);
  }

  function onTimeout(): void {
    socket.destroy();
  }

  function onError(): void {
    socket.destroy();
  }

  function onEnd(): void {
    ended = true;
    serve();
  }

  function onData(chunk: Buffer): void {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    serve();
  }

  function serve(): void {
    if (done || waitingForDrain) return;
    const replies: Buffer[] = [];
    let unread = socket.writableLength;
    for (;;) {
      if (unread > MAX_UNREAD_BYTES) {
        flush(replies);
        waitForDrain();
        return;
      }
      const end = findHeadEnd(pending);
      if (!end) {
        if (pending.length > MAX_HEAD_BYTES) break;
        flush(replies);
        if (ended) {
          // What is left is a head the client will never finish.
          finish();
          socket.end();
        } else if (pending.length === 0) stopHeadTimer();
        else headTimer ??= setTimeout(onHeadTimeout, connection.headTimeoutMs);
        return;
      }
      stopHeadTimer();
      const head =
        end.at <= MAX_HEAD_BYTES
          ? responses.head(pending.toString('latin1', 0, end.at))
          : undefined;
      if (head?.kind === 'unsupported') {
        replies.push(responses.unsupported(head.method));
        closeAfter(replies);
        return;
      }
      const answer = head && connection.answer(head.method, head.target);
      if (!head || !answer) break;
      const reply = responses.response(answer, head.keepAlive);
      replies.push(reply);
      unread += reply.length;
      pending = pending.subarray(end.next);
      if (!head.keepAlive) {
        closeAfter(replies);
        return;
      }
    }
    flush(replies);
    if (ended) {
      // Its stream has ended, so Node's server could not read the rest: the connection ends unanswered.
      finish();
      socket.end();
    } else handOver();
  }

  function closeAfter(replies: Buffer[]): void {
    finish();
    flush(replies);
    socket.end();
  }

  // A client that pipelines without reading its answers is not read further until it does, as Node's
  // own server does; a client that never reads is closed by the idle timeout.
  function waitForDrain(): void {
    waitingForDrain = true;
    stopHeadTimer();
    socket.pause();
    socket.once('drain', () => {
      waitingForDrain = false;
      if (done) return;
      socket.resume();
      serve();
    });
  }

  function flush(replies: Buffer[]): void {
    if (replies.length === 1) socket.write(replies[0]);
    else if (replies.length > 1) socket.write(Buffer.concat(replies));
    replies.length = 0;
  }

  socket.setNoDelay(true);
  socket.setTimeout(connection.idleTimeoutMs);
  socket.on('timeout', onTimeout);
  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.on('error', onError);
  socket.once('close', stopHeadTimer);
}
