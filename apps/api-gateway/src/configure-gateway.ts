import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { FastifyInstance } from 'fastify';
import type { Server } from 'node:http';
import { GATEWAY_SETTINGS, type GatewaySettings } from './gateway-settings.ts';
import type { ListenerSettings } from './listener-settings.ts';
import { healthCheckPaths } from './patroni/health-check-paths.openapi.ts';

/**
 * The cluster-wide listener keeps the member listeners' bounds, in Node's own terms: its server is made
 * by the application, so Node checks the timeouts at its default interval (30 s), and past its
 * connection limit Node closes new connections without an answer.
 */
function boundClusterWideServer(server: Server, settings: ListenerSettings): void {
  server.headersTimeout = settings.headTimeoutMs;
  server.requestTimeout = Math.max(settings.headTimeoutMs, server.requestTimeout);
  server.keepAliveTimeout = settings.idleTimeoutMs;
  server.maxConnections = settings.maxConnections;
}

/**
 * What the gateway adds to a created application before it listens: Patroni's body handling (the
 * request Content-Type is ignored, bodies are read as text up to a limit and parsed by the handlers)
 * and the OpenAPI description at `/openapi.json` with its UI at `/docs` (unless `swaggerUi` is false).
 */
export async function configureGateway(
  app: NestFastifyApplication,
  options: { swaggerUi?: boolean } = {},
): Promise<void> {
  await app.init();
  const settings = app.get<GatewaySettings>(GATEWAY_SETTINGS);
  const fastify = app.getHttpAdapter().getInstance() as FastifyInstance;
  boundClusterWideServer(app.getHttpServer() as Server, settings.listener);
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(
    '*',
    { parseAs: 'string', bodyLimit: settings.bodyLimitBytes },
    (_request, body, done) => done(null, body),
  );

  const config = new DocumentBuilder()
    .setTitle('natroni api-gateway')
    .setDescription(
      "Patroni's REST API, per member (one listener each). Unsafe methods need Basic auth when restapi credentials are configured.",
    )
    .addBasicAuth()
    .build();
  // Built at the first request for it, not at start: it takes some 40 ms of CPU, at the moment a cluster
  // starts every service.
  const document = () => {
    const built = SwaggerModule.createDocument(app, config);
    built.paths = { ...healthCheckPaths(), ...built.paths };
    return built;
  };
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'openapi.json',
    // The UI's assets load @fastify/static with a dynamic import, which jest's VM cannot run.
    ui: options.swaggerUi ?? true,
  });
}
