import type { Server, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import type { ListenerSettings } from '../listener-settings.ts';
import { LISTENER_ENV } from '../listener-settings.ts';
import { serveHealthChecks } from './health-check-connection.ts';
import { HealthCheckResponses } from './health-check-responses.ts';
import type { StatusAnswer } from './status-responder.ts';

/** How long a refused connection may take to read its refusal before it is closed. */
const REFUSAL_LINGER_MS = 1_000;
/** Node's default time to receive a whole request, body included; never below the head timeout. */
const MIN_REQUEST_TIMEOUT_MS = 30_000;

/**
 * The bounds of Node's HTTP server behind a member listener, the same as the fast path's: Node checks
 * them on a timer, every second here (its default is every 30 s, too coarse for a head timeout).
 */
export function boundedServerOptions(settings: ListenerSettings): ServerOptions {
  return {
    headersTimeout: settings.headTimeoutMs,
    requestTimeout: Math.max(settings.headTimeoutMs, MIN_REQUEST_TIMEOUT_MS),
    keepAliveTimeout: settings.idleTimeoutMs,
    connectionsCheckingInterval: Math.min(1_000, settings.headTimeoutMs),
  };
}

/**
 * Every connection of one member listener: counted against the listener's limit (past it, refused with a
 * 503 that says why, then closed), then served by the health-check fast path or given to Node's HTTP
 * (or HTTPS) server at once when the fast path is off or the listener serves TLS. The caches of the fast
 * path belong to the listener, so that listeners and gateways in one process share nothing.
 */
export class ListenerConnections {
  private readonly open = new Set<Socket>();
  private readonly responses: HealthCheckResponses;
  private readonly refusal: Buffer;

  constructor(
    private readonly settings: ListenerSettings,
    private readonly http: Server,
    private readonly answer: (method: string, target: string) => StatusAnswer | undefined,
    private readonly tls: boolean,
  ) {
    this.responses = new HealthCheckResponses(settings.idleTimeoutMs);
    const body = `this listener has ${settings.maxConnections} connections open, its limit (${LISTENER_ENV.maxConnections})\n`;
    this.refusal = Buffer.from(
      'HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }

  get count(): number {
    return this.open.size;
  }

  accept(socket: Socket): void {
    if (this.open.size >= this.settings.maxConnections) {
      this.refuse(socket);
      return;
    }
    this.open.add(socket);
    socket.once('close', () => this.open.delete(socket));
    if (this.tls || !this.settings.fastPath) {
      this.handOver(socket, undefined);
      return;
    }
    serveHealthChecks({
      socket,
      responses: this.responses,
      answer: this.answer,
      handOver: (handed, unread) => this.handOver(handed, unread),
      headTimeoutMs: this.settings.headTimeoutMs,
      idleTimeoutMs: this.settings.idleTimeoutMs,
    });
  }

  destroyAll(): void {
    for (const socket of this.open) socket.destroy();
  }

  private handOver(socket: Socket, unread: Buffer | undefined): void {
    if (unread && unread.length > 0) socket.unshift(unread);
    this.http.emit('connection', socket);
    // Node's server reads new bytes from the socket's handle; the ones put back still flow.
    if (unread) socket.resume();
  }

  /** A TLS client could not read a plain-text refusal: it is closed at once. */
  private refuse(socket: Socket): void {
    socket.on('error', () => socket.destroy());
    if (this.tls) {
      socket.destroy();
      return;
    }
    socket.setTimeout(REFUSAL_LINGER_MS, () => socket.destroy());
    // What it sent is read and dropped: closing with unread bytes would reset the connection, and the
    // refusal with it.
    socket.resume();
    socket.end(this.refusal);
  }
}
