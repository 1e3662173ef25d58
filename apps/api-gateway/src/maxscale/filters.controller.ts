import { Controller, Get, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiBasicAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { collectionDocument, JsonApiError } from '../../../../libs/domain/src/index.ts';
import { JsonApiExceptionFilter } from './json-api-exception.filter.ts';
import { requestLinkBase, sendDocument } from './json-api-reply.ts';
import { V1AuthGuard } from './v1-auth.guard.ts';
import { v1Paths } from './v1-paths.ts';

/**
 * `/v1/filters`: natroni routes no queries, so there are none. The empty collection is there because
 * MaxScale's clients (`maxctrl link`) list the filters before they link anything.
 */
@ApiTags('v1 servers')
@ApiBasicAuth()
@Controller()
@UseFilters(JsonApiExceptionFilter)
@UseGuards(V1AuthGuard)
export class FiltersController {
  @Get(v1Paths('filters'))
  @ApiOperation({ summary: 'No filters: an empty collection.' })
  list(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    const links = requestLinkBase(request);
    sendDocument(request, reply, collectionDocument(`${links.base}filters/`, []));
  }

  @Get(v1Paths('filters/:name'))
  @ApiOperation({ summary: 'Always 404 "<name> is not a filter".' })
  one(@Req() request: FastifyRequest): void {
    throw JsonApiError.notFound(`${(request.params as { name: string }).name} is not a filter`);
  }
}
