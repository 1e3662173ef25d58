import {
  Controller,
  Delete,
  Get,
  Patch,
  Post,
  Put,
  Req,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { ApiBasicAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { JsonObject, JsonValue } from '@bufbuild/protobuf';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  collectionDocument,
  isTruthyOption,
  JsonApiError,
  notAServer,
  parseDocumentQuery,
  parseSettableState,
  readCreateServerRequest,
  readRelationshipRequest,
  readRequestBody,
  readUpdateServerRequest,
  serverLink,
  serverRelationships,
  serverResource,
  shapeCollection,
  shapeSingle,
  singleDocument,
  type RelationshipKind,
} from '../../../../libs/domain/src/index.ts';
import { JsonApiExceptionFilter } from './json-api-exception.filter.ts';
import {
  querySearch,
  renderDocument,
  requestBodyText,
  requestLinkBase,
  sendDocument,
  sendNoContent,
  sendRendered,
  wantsPretty,
  type RenderedDocument,
} from './json-api-reply.ts';
import { ServerInventory } from './server-inventory.ts';
import { ServerWriter } from './server-writer.ts';
import { V1AuthGuard } from './v1-auth.guard.ts';
import { v1Paths } from './v1-paths.ts';

const COLLECTION_CACHE_SIZE = 64;

function relationshipKind(type: string): RelationshipKind {
  if (type === 'services' || type === 'monitors') return type;
  throw JsonApiError.notFound();
}

/** MaxScale's `/v1/servers` resource (docs/maxscale-api.md), over the cluster's servers. */
@ApiTags('v1 servers')
@ApiBasicAuth()
@Controller()
@UseFilters(JsonApiExceptionFilter)
@UseGuards(V1AuthGuard)
export class ServersController {
  /** The rendered collection per request URL and Host, while the inventory's version holds. */
  private collectionCache: { version: string; documents: Map<string, RenderedDocument> } = {
    version: '',
    documents: new Map(),
  };

  constructor(
    private readonly inventory: ServerInventory,
    private readonly writer: ServerWriter,
  ) {}

  @Get(v1Paths('servers'))
  @ApiOperation({ summary: 'Every server: the natroni members, then the servers created by POST.' })
  list(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    const version = this.inventory.version();
    const cacheKey = `${request.headers.host ?? ''} ${request.protocol} ${request.url}`;
    if (this.collectionCache.version !== version)
      this.collectionCache = { version, documents: new Map() };
    let rendered = this.collectionCache.documents.get(cacheKey);
    if (!rendered) {
      rendered = renderDocument(this.collection(request), wantsPretty(request));
      if (this.collectionCache.documents.size < COLLECTION_CACHE_SIZE)
        this.collectionCache.documents.set(cacheKey, rendered);
    }
    sendRendered(request, reply, rendered);
  }

  @Get(v1Paths('servers/:name'))
  @ApiOperation({ summary: 'One server.' })
  @ApiResponse({ status: 404, description: '"<name> is not a server"' })
  one(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    const name = (request.params as { name: string }).name;
    const server = this.inventory.find(name);
    if (!server) throw notAServer(name);
    const links = requestLinkBase(request);
    const resource = serverResource(links, server.facts);
    const document = singleDocument(serverLink(links, server.facts.name), resource);
    sendDocument(
      request,
      reply,
      shapeSingle(document, 'servers', parseDocumentQuery(querySearch(request))),
    );
  }

  @Get(v1Paths('servers/:name/relationships/:type'))
  @ApiOperation({ summary: "The server's services or monitors relationship object." })
  relationship(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    const { name, type } = request.params as { name: string; type: string };
    const server = this.inventory.find(name);
    if (!server) throw notAServer(name);
    const kind = relationshipKind(type);
    const relationships = serverRelationships(requestLinkBase(request), server.facts);
    const found = relationships[kind];
    if (found === undefined || found === null || typeof found !== 'object' || Array.isArray(found))
      throw JsonApiError.notFound();
    sendDocument(request, reply, found);
  }

  @Post(v1Paths('servers'))
  @ApiOperation({ summary: 'Create a server natroni does not manage; it is then monitored.' })
  @ApiResponse({ status: 204, description: 'created' })
  @ApiResponse({ status: 403, description: 'invalid body (JSON:API errors)' })
  async create(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const body = readRequestBody(requestBodyText(request), true);
    await this.writer.create(readCreateServerRequest(body, this.inventory));
    sendNoContent(reply);
  }

  @Patch(v1Paths('servers/:name'))
  @ApiOperation({ summary: 'Merge parameters (null removes) and replace the relationships given.' })
  async update(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const name = (request.params as { name: string }).name;
    if (!this.inventory.find(name)) throw notAServer(name);
    const body = readRequestBody(requestBodyText(request), true);
    await this.writer.update(name, readUpdateServerRequest(body, this.inventory));
    sendNoContent(reply);
  }

  @Patch(v1Paths('servers/:name/relationships/:type'))
  @ApiOperation({ summary: "Replace the server's services or monitors." })
  async relink(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { name, type } = request.params as { name: string; type: string };
    if (!this.inventory.find(name)) throw notAServer(name);
    const kind = relationshipKind(type);
    const body: JsonValue | undefined = readRequestBody(requestBodyText(request), true);
    await this.writer.relink(name, kind, readRelationshipRequest(kind, body, this.inventory));
    sendNoContent(reply);
  }

  @Delete(v1Paths('servers/:name'))
  @ApiOperation({
    summary: 'Destroy a server natroni does not manage (force=yes unlinks it first).',
  })
  async destroy(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const name = (request.params as { name: string }).name;
    await this.writer.destroy(name, isTruthyOption(querySearch(request).get('force') ?? undefined));
    sendNoContent(reply);
  }

  @Put(v1Paths('servers/:name/set'))
  @ApiOperation({ summary: 'Set a state: maintenance (force=yes closes connections), drain, ...' })
  async set(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.changeState(request, true);
    sendNoContent(reply);
  }

  @Put(v1Paths('servers/:name/clear'))
  @ApiOperation({ summary: 'Clear a state.' })
  async clear(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.changeState(request, false);
    sendNoContent(reply);
  }

  private collection(request: FastifyRequest): JsonObject {
    const links = requestLinkBase(request);
    const query = parseDocumentQuery(querySearch(request));
    const data = this.inventory.servers().map((server) => serverResource(links, server.facts));
    const self = `${links.base}servers/`;
    return shapeCollection(
      collectionDocument(self, data),
      'servers',
      query,
      (size, number) => `${self}?page%5Bsize%5D=${size}&page%5Bnumber%5D=${number}`,
    );
  }

  private async changeState(request: FastifyRequest, set: boolean): Promise<void> {
    const name = (request.params as { name: string }).name;
    if (!this.inventory.find(name)) throw notAServer(name);
    const search = querySearch(request);
    const state = parseSettableState(search.get('state') ?? undefined);
    const force = set && isTruthyOption(search.get('force') ?? undefined);
    await this.writer.changeState(name, state, set, force);
  }
}
