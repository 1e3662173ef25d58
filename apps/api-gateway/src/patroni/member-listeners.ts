import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { GATEWAY_SETTINGS, type GatewaySettings, type ServedMember } from '../gateway-settings.ts';
import { rewriteV1Request } from '../maxscale/v1-request-rewrite.ts';
import { serveHealthChecks } from './health-check-connection.ts';
import { markServedMember } from './served-member.ts';
import { StatusResponder, type StatusAnswer } from './status-responder.ts';

/** How long a kept-alive connection may stay idle, as Node's keepAliveTimeout. */
const KEEP_ALIVE_MS = 5_000;

/**
 * One HTTP listener per served member (docs/design.md, gateway), each a drop-in for that member's
 * Patroni `:8008`: health checks and /patroni are answered from memory by the StatusResponder, every
 * other request goes through the application's Fastify router, tagged with the member. Without TLS a
 * listener answers health checks on the socket itself (health-check-connection.ts) and gives every
 * other connection to Node's HTTP server; with TLS, Node's HTTPS server takes every request.
 */
@Injectable()
export class MemberListeners implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('MemberListeners');
  private readonly listeners: NetServer[] = [];
  private readonly httpServers: Server[] = [];
  private readonly healthCheckSockets = new Set<Socket>();

  constructor(
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
    private readonly adapterHost: HttpAdapterHost,
    private readonly responder: StatusResponder,
  ) {}

  onApplicationBootstrap(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    // Listen only once Fastify is ready, so that every routed request finds its route.
    fastify.addHook('onReady', async () => {
      for (const member of this.settings.members) await this.listen(member, fastify);
    });
  }

  async onApplicationShutdown(): Promise<void> {
    const closed = this.listeners.map(
      (listener) => new Promise<void>((resolve) => listener.close(() => resolve())),
    );
    for (const server of this.httpServers) server.closeAllConnections();
    for (const socket of this.healthCheckSockets) socket.destroy();
    await Promise.all(closed);
    this.listeners.length = 0;
    this.httpServers.length = 0;
  }

  /** The StatusResponder's answer; a failure is logged and answered 503, as Patroni does. */
  private answer(member: string, method: string, target: string): StatusAnswer | undefined {
    try {
      return this.responder.answer(member, method, target);
    } catch (error) {
      this.logger.error({ msg: 'health check failed', member, err: error });
      return { code: 503 };
    }
  }

  private listen(member: ServedMember, fastify: FastifyInstance): Promise<void> {
    const handle = (request: IncomingMessage, response: ServerResponse): void => {
      const answer = this.answer(member.name, request.method ?? '', request.url ?? '/');
      if (answer) {
        response.writeHead(answer.code, {
          ...(answer.document ? { 'content-type': 'application/json' } : {}),
          'content-length': answer.document?.length ?? 0,
        });
        response.end(answer.document);
        return;
      }
      markServedMember(request, member.name);
      rewriteV1Request(request, false);
      fastify.routing(request, response);
    };
    const tls = this.settings.tls;
    const http = tls
      ? createHttpsServer(
          {
            keepAliveTimeout: KEEP_ALIVE_MS,
            cert: readFileSync(tls.certFile),
            key: readFileSync(tls.keyFile),
          },
          handle,
        )
      : createServer({ keepAliveTimeout: KEEP_ALIVE_MS }, handle);
    const listener = tls ? http : this.healthCheckListener(member, http);
    this.listeners.push(listener);
    this.httpServers.push(http);
    return new Promise((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(member.port, member.host, () => {
        listener.off('error', reject);
        this.logger.log({ msg: 'member listener ready', member: member.name, port: member.port });
        resolve();
      });
    });
  }

  private healthCheckListener(member: ServedMember, http: Server): NetServer {
    return createNetServer((socket) => {
      this.healthCheckSockets.add(socket);
      socket.once('close', () => this.healthCheckSockets.delete(socket));
      serveHealthChecks({
        socket,
        idleTimeoutMs: KEEP_ALIVE_MS,
        answer: (method, target) => this.answer(member.name, method, target),
        handOver: (handed, unread) => {
          this.healthCheckSockets.delete(handed);
          if (unread.length > 0) handed.unshift(unread);
          http.emit('connection', handed);
          // Node's server reads new bytes from the socket's handle; the ones put back still flow.
          handed.resume();
        },
      });
    });
  }
}
