import { Controller, Get, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiBasicAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { JsonApiExceptionFilter } from './json-api-exception.filter.ts';
import { requestLinkBase, sendDocument } from './json-api-reply.ts';
import { LinkedObjects } from './linked-objects.ts';
import { V1AuthGuard } from './v1-auth.guard.ts';
import { v1Paths } from './v1-paths.ts';

/** Read-only `/v1/monitors`: the cluster's one monitor, named after the scope. */
@ApiTags('v1 servers')
@ApiBasicAuth()
@Controller()
@UseFilters(JsonApiExceptionFilter)
@UseGuards(V1AuthGuard)
export class MonitorsController {
  constructor(private readonly objects: LinkedObjects) {}

  @Get(v1Paths('monitors'))
  @ApiOperation({ summary: "The cluster's monitor, with the servers it monitors." })
  list(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    sendDocument(request, reply, this.objects.collection(requestLinkBase(request), 'monitors'));
  }

  @Get(v1Paths('monitors/:name'))
  @ApiOperation({ summary: 'One monitor.' })
  one(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    const name = (request.params as { name: string }).name;
    sendDocument(request, reply, this.objects.single(requestLinkBase(request), 'monitors', name));
  }
}
