import { All, Controller, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { JsonApiError } from '../../../../libs/domain/src/index.ts';
import { JsonApiExceptionFilter } from './json-api-exception.filter.ts';
import { V1_HEADERS } from './json-api-reply.ts';
import { V1AuthGuard } from './v1-auth.guard.ts';

const METHODS = ['GET', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS', 'HEAD'];

/**
 * Whatever no `/v1` route answers (as in MaxScale): `GET /v1/` itself is 200 with no body (clients
 * such as maxctrl probe it), OPTIONS lists the methods, an unknown method is 405, and any other
 * request is 404 with no body (also a known method on a path without a handler).
 * Paths without the `v1/` prefix are left to the Patroni API, whose namespace they share.
 */
@ApiExcludeController()
@Controller()
@UseFilters(JsonApiExceptionFilter)
@UseGuards(V1AuthGuard)
export class V1FallbackController {
  @All(['v1', 'v1/*'])
  fallback(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    if (request.method === 'OPTIONS') {
      void reply
        .status(200)
        .headers({ ...V1_HEADERS, accept: METHODS.join(', ') })
        .send();
      return;
    }
    if (!METHODS.includes(request.method)) throw new JsonApiError(405, []);
    const path = request.url.split('?')[0];
    if ((request.method === 'GET' || request.method === 'HEAD') && path === '/v1') {
      void reply.status(200).headers(V1_HEADERS).send();
      return;
    }
    throw JsonApiError.notFound();
  }
}
