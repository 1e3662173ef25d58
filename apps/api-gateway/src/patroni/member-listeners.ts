import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
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
import { boundedServerOptions, ListenerConnections } from './listener-connections.ts';
import { originForm } from './request-target.ts';
import { markServedMember } from './served-member.ts';
import { StatusResponder, type StatusAnswer } from './status-responder.ts';

/**
 * One HTTP listener per served member (docs/design.md, gateway), each a drop-in for that member's
 * Patroni `:8008`: health checks and /patroni are answered from memory by the StatusResponder, every
 * other request goes through the application's Fastify router, tagged with the member. Each listener's
 * connections are counted and bounded (listener-connections.ts); without TLS, and unless the setting
 * turns it off, a listener answers health checks on the socket itself (health-check-connection.ts) and
 * gives every other connection to Node's HTTP server; with TLS, Node's HTTPS server takes every request.
 */
@Injectable()
export class MemberListeners implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('MemberListeners');
  private readonly listeners: NetServer[] = [];
  private readonly httpServers: Server[] = [];
  private readonly connections: ListenerConnections[] = [];

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
    for (const server of this.httpServers) {
      server.closeAllConnections();
      // Stops the timer of its timeouts; it reports that it was not listening, which is known.
      server.close(() => undefined);
    }
    for (const connections of this.connections) connections.destroyAll();
    await Promise.all(closed);
    this.listeners.length = 0;
    this.httpServers.length = 0;
    this.connections.length = 0;
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
      const url = request.url ?? '/';
      const answer = this.answer(member.name, request.method ?? '', originForm(url) ?? url);
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
    const bounds = boundedServerOptions(this.settings.listener);
    const http = tls
      ? createHttpsServer(
          { ...bounds, cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) },
          handle,
        )
      : createServer(bounds, handle);
    const connections = new ListenerConnections(
      this.settings.listener,
      http,
      (method, target) => this.answer(member.name, method, target),
      tls !== undefined,
    );
    // Half-open as Node's HTTP server is: a client's FIN after its request still gets the answer.
    const listener = createNetServer({ allowHalfOpen: true }, (socket) =>
      connections.accept(socket),
    );
    // Node enforces its head and request timeouts from a timer it starts when its server listens. This
    // one never listens itself (the listener gives it connections), so it is told that it does.
    http.emit('listening');
    this.listeners.push(listener);
    this.httpServers.push(http);
    this.connections.push(connections);
    return new Promise((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(member.port, member.host, () => {
        listener.off('error', reject);
        this.logger.log({ msg: 'member listener ready', member: member.name, port: member.port });
        resolve();
      });
    });
  }
}
