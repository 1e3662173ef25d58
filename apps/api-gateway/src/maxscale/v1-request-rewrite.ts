import type { IncomingMessage } from 'node:http';
import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';

const V1_PATH = /^\/+(?:v1|servers|services|monitors|filters)(?:[/?]|$)/;
const VERSIONED_PATH = /^\/+v1(?:[/?]|$)/;

/**
 * What MaxScale does before routing a `/v1` request: trailing slashes are stripped
 * (`/v1/servers/` is `/v1/servers`) and `X-HTTP-Method-Override` replaces the method. `unprefixed`
 * also accepts the paths without `v1/` (the cluster-wide listener; on a member listener they are
 * Patroni health checks).
 */
export function rewriteV1Request(request: IncomingMessage, unprefixed: boolean): void {
  const url = request.url ?? '/';
  if (!(unprefixed ? V1_PATH : VERSIONED_PATH).test(url)) return;
  const at = url.indexOf('?');
  const path = at === -1 ? url : url.slice(0, at);
  const stripped = path.replace(/\/+$/, '');
  if (stripped !== path && stripped !== '')
    request.url = stripped + (at === -1 ? '' : url.slice(at));
  const override = request.headers['x-http-method-override'];
  if (typeof override === 'string' && /^[A-Za-z]{1,16}$/.test(override))
    request.method = override.toUpperCase();
}

/** Applies rewriteV1Request on the gateway's own (cluster-wide) listener before Fastify routes. */
@Injectable()
export class V1RequestRewrite implements OnApplicationBootstrap {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onApplicationBootstrap(): void {
    const server = this.adapterHost.httpAdapter.getHttpServer() as Server;
    server.prependListener('request', (request: IncomingMessage) =>
      rewriteV1Request(request, true),
    );
  }
}
