import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
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
import { markServedMember } from './served-member.ts';
import { StatusResponder } from './status-responder.ts';

/**
 * One HTTP listener per served member (DESIGN.md, "The gateway"), each a drop-in for that member's
 * Patroni `:8008`: health checks and /patroni are answered from memory by the StatusResponder, every
 * other request goes through the application's Fastify router, tagged with the member.
 */
@Injectable()
export class MemberListeners implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('MemberListeners');
  private readonly servers: Server[] = [];

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
    await Promise.all(
      this.servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
    this.servers.length = 0;
  }

  private listen(member: ServedMember, fastify: FastifyInstance): Promise<void> {
    const handle = (request: IncomingMessage, response: ServerResponse): void => {
      try {
        if (this.responder.respond(member.name, request, response)) return;
      } catch (error) {
        this.logger.error({ msg: 'health check failed', member: member.name, err: error });
        if (!response.headersSent) response.writeHead(503, { 'content-length': 0 });
        response.end();
        return;
      }
      markServedMember(request, member.name);
      rewriteV1Request(request, false);
      fastify.routing(request, response);
    };
    const tls = this.settings.tls;
    const server = tls
      ? createHttpsServer(
          {
            keepAliveTimeout: 5_000,
            cert: readFileSync(tls.certFile),
            key: readFileSync(tls.keyFile),
          },
          handle,
        )
      : createServer({ keepAliveTimeout: 5_000 }, handle);
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(member.port, member.host, () => {
        server.off('error', reject);
        this.logger.log({ msg: 'member listener ready', member: member.name, port: member.port });
        resolve();
      });
    });
  }
}
