import { Controller, Get, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiBasicAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { JsonApiExceptionFilter } from './json-api-exception.filter.ts';
import { requestLinkBase, sendDocument } from './json-api-reply.ts';
import { LinkedObjects } from './linked-objects.ts';
import { V1AuthGuard } from './v1-auth.guard.ts';
import { v1Paths } from './v1-paths.ts';

/** Read-only `/v1/services`: the services servers can be linked to (NATRONI_V1_SERVICES). */
@ApiTags('v1 servers')
@ApiBasicAuth()
@Controller()
@UseFilters(JsonApiExceptionFilter)
@UseGuards(V1AuthGuard)
export class ServicesController {
  constructor(private readonly objects: LinkedObjects) {}

  @Get(v1Paths('services'))
  @ApiOperation({ summary: 'Every service, with the servers that use it.' })
  list(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    sendDocument(request, reply, this.objects.collection(requestLinkBase(request), 'services'));
  }

  @Get(v1Paths('services/:name'))
  @ApiOperation({ summary: 'One service.' })
  one(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    const name = (request.params as { name: string }).name;
    sendDocument(request, reply, this.objects.single(requestLinkBase(request), 'services', name));
  }
}
