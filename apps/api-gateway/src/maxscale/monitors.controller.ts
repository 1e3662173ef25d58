import { Controller, Get, Patch, Put, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
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

/** The relationship types MaxScale lets a PATCH of one of its monitors name. */
const RELATIONSHIP_TYPES = ['servers', 'services'];

/**
 * `/v1/monitors`: the cluster's one monitor, named after the scope. Servers natroni does not manage can
 * be linked to it and unlinked; it cannot be stopped.
 */
@ApiTags('v1 servers')
@ApiBasicAuth()
@Controller()
@UseFilters(JsonApiExceptionFilter)
@UseGuards(V1AuthGuard)
export class MonitorsController {
  constructor(
    private readonly objects: LinkedObjects,
    private readonly writer: LinkedObjectWriter,
    private readonly inventory: ServerInventory,
  ) {}

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

  @Get(v1Paths('monitors/:name/relationships/:type'))
  @ApiOperation({ summary: "The monitor's relationship object of that type." })
  relationship(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    const { name, type } = request.params as { name: string; type: string };
    sendDocument(
      request,
      reply,
      this.objects.relationship(requestLinkBase(request), 'monitors', name, type),
    );
  }

  @Patch(v1Paths('monitors/:name'))
  @ApiOperation({ summary: 'Replace the relationships given (maxctrl link/unlink): servers only.' })
  async update(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const name = (request.params as { name: string }).name;
    this.objects.find('monitors', name);
    const body = readRequestBody(requestBodyText(request), true);
    const lists = readLinkedObjectUpdate('monitors', name, body, this.inventory);
    await this.writer.relink('monitors', name, lists);
    sendNoContent(reply);
  }

  @Patch(v1Paths('monitors/:name/relationships/:type'))
  @ApiOperation({ summary: "Replace the monitor's relationship of that type: servers only." })
  async relink(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { name, type } = request.params as { name: string; type: string };
    this.objects.find('monitors', name);
    if (!RELATIONSHIP_TYPES.includes(type)) throw JsonApiError.notFound();
    const body = readRequestBody(requestBodyText(request), true);
    const names = readRelationshipRequest(type, body, this.inventory);
    await this.writer.relink('monitors', name, new Map([[type, names]]));
    sendNoContent(reply);
  }

  @Put(v1Paths('monitors/:name/stop'))
  @ApiOperation({
    summary: "Refused: natroni's monitor is its HA loop, which runs while the cluster runs.",
  })
  stop(@Req() request: FastifyRequest): void {
    const name = (request.params as { name: string }).name;
    this.objects.find('monitors', name);
    throw JsonApiError.refused(
      `Could not stop monitor '${name}'. It is natroni's HA loop, which runs while the cluster runs: pause automatic failover with natronictl pause instead`,
    );
  }

  @Put(v1Paths('monitors/:name/start'))
  @ApiOperation({ summary: 'The monitor always runs: 204.' })
  start(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    this.objects.find('monitors', (request.params as { name: string }).name);
    sendNoContent(reply);
  }
}
