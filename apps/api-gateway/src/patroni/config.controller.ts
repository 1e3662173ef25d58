import { Controller, Get, Patch, Put, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBasicAuth, ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DynamicConfigSchema, toWireJson } from '../../../../libs/proto/src/index.ts';
import { BasicAuthGuard } from './basic-auth.guard.ts';
import { ConfigWriter } from './config-writer.ts';
import { LiveCluster } from '../../../../libs/live-cluster/src/index.ts';
import { PatroniHttpError } from './patroni-http-error.ts';
import { sendJson } from './plain-reply.ts';
import { jsonBody } from './request-body.ts';

const CONFIG_BODY = {
  schema: { type: 'object', additionalProperties: true },
  description: 'Dynamic configuration (ttl, loop_wait, retry_timeout, postgresql.parameters, ...)',
};

/** The dynamic configuration in the `config` key: GET, PATCH and PUT `/config`. */
@ApiTags('config')
@Controller('config')
export class ConfigController {
  constructor(
    private readonly cluster: LiveCluster,
    private readonly writer: ConfigWriter,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The stored dynamic configuration, as stored.' })
  @ApiResponse({ status: 200, description: 'the configuration' })
  @ApiResponse({ status: 502, description: 'no configuration is stored' })
  current(@Res() reply: FastifyReply): void {
    const config = this.cluster.view.config;
    if (!config) throw PatroniHttpError.page(502);
    sendJson(reply, 200, toWireJson(DynamicConfigSchema, config.value));
  }

  @Patch()
  @UseGuards(BasicAuthGuard)
  @ApiBasicAuth()
  @ApiOperation({ summary: 'Merge into the configuration: null deletes a key (compare-and-set).' })
  @ApiBody(CONFIG_BODY)
  @ApiResponse({ status: 200, description: 'the merged configuration' })
  @ApiResponse({ status: 400, description: 'malformed body or invalid types / unknown keys' })
  @ApiResponse({ status: 409, description: 'the key kept changing under the merge' })
  @ApiResponse({ status: 422, description: 'values that break the timing rules' })
  async patch(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const merged = await this.writer.patch(jsonBody(request, true));
    sendJson(reply, 200, merged);
  }

  @Put()
  @UseGuards(BasicAuthGuard)
  @ApiBasicAuth()
  @ApiOperation({ summary: 'Replace the configuration.' })
  @ApiBody(CONFIG_BODY)
  @ApiResponse({ status: 200, description: 'the stored configuration' })
  async replace(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const stored = await this.writer.replace(jsonBody(request, true));
    sendJson(reply, 200, stored);
  }
}
