import { Controller, Get, Patch, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiBasicAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  JsonApiError,
  readLinkedObjectUpdate,
  readRelationshipRequest,
  readRequestBody,
} from '../../../../libs/domain/src/index.ts';
import { JsonApiExceptionFilter } from './json-api-exception.filter.ts';
import { requestBodyText, requestLinkBase, sendDocument, sendNoContent } from './json-api-reply.ts';
import { LinkedObjectWriter } from './linked-object-writer.ts';
import { LinkedObjects } from './linked-objects.ts';
import { ServerInventory } from './server-inventory.ts';
import { V1AuthGuard } from './v1-auth.guard.ts';
import { v1Paths } from './v1-paths.ts';

/** The relationship types MaxScale lets a PATCH of one of its services name. */
const RELATIONSHIP_TYPES = ['servers', 'services', 'filters', 'monitors'];

/**
 * `/v1/services`: the services servers can be linked to (NATRONI_V1_SERVICES); linking and unlinking
 * servers is all that can be changed.
 */
@ApiTags('v1 servers')
@ApiBasicAuth()
@Controller()
@UseFilters(JsonApiExceptionFilter)
@UseGuards(V1AuthGuard)
export class ServicesController {
  constructor(
    private readonly objects: LinkedObjects,
    private readonly writer: LinkedObjectWriter,
    private readonly inventory: ServerInventory,
  ) {}

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

  @Get(v1Paths('services/:name/relationships/:type'))
  @ApiOperation({ summary: "The service's relationship object of that type." })
  relationship(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    const { name, type } = request.params as { name: string; type: string };
    sendDocument(
      request,
      reply,
      this.objects.relationship(requestLinkBase(request), 'services', name, type),
    );
  }

  @Patch(v1Paths('services/:name'))
  @ApiOperation({ summary: 'Replace the relationships given (maxctrl link/unlink): servers only.' })
  async update(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const name = (request.params as { name: string }).name;
    this.objects.find('services', name);
    const body = readRequestBody(requestBodyText(request), true);
    const lists = readLinkedObjectUpdate('services', name, body, this.inventory);
    await this.writer.relink('services', name, lists);
    sendNoContent(reply);
  }

  @Patch(v1Paths('services/:name/relationships/:type'))
  @ApiOperation({ summary: "Replace the service's relationship of that type: servers only." })
  async relink(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { name, type } = request.params as { name: string; type: string };
    this.objects.find('services', name);
    if (!RELATIONSHIP_TYPES.includes(type)) throw JsonApiError.notFound();
    const body = readRequestBody(requestBodyText(request), true);
    const names = readRelationshipRequest(type, body, this.inventory);
    await this.writer.relink('services', name, new Map([[type, names]]));
    sendNoContent(reply);
  }
}
