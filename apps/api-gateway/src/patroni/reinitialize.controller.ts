import { create } from '@bufbuild/protobuf';
import { Controller, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBasicAuth, ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { lenientBoolean } from '../../../../libs/domain/src/index.ts';
import { ReinitializeRequestSchema } from '../../../../libs/proto/src/index.ts';
import { AgentCommands } from './agent-commands.ts';
import { BasicAuthGuard } from './basic-auth.guard.ts';
import { ReinitializeRequestDto } from './dto/reinitialize-request.dto.ts';
import { LiveCluster } from '../../../../libs/live-cluster/src/index.ts';
import { PatroniHttpError } from './patroni-http-error.ts';
import { sendPlain } from './plain-reply.ts';
import { jsonBody, validated } from './request-body.ts';
import { ServedMember } from './served-member.ts';

/** A base backup can take long; the agent answers once it has started. */
const REINITIALIZE_WAIT_MS = 30_000;

/** `POST /reinitialize`: the member's agent rebuilds its data directory from a base backup. */
@ApiTags('member')
@ApiBasicAuth()
@UseGuards(BasicAuthGuard)
@Controller('reinitialize')
export class ReinitializeController {
  constructor(
    private readonly cluster: LiveCluster,
    private readonly agent: AgentCommands,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Rebuild this replica from a fresh base backup.' })
  @ApiBody({ type: ReinitializeRequestDto, required: false })
  @ApiResponse({ status: 200, description: 'reinitialize started' })
  @ApiResponse({ status: 503, description: 'no leader, is the leader, busy or unreachable' })
  async reinitialize(
    @ServedMember() member: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const body = validated(ReinitializeRequestDto, jsonBody(request, false));
    const leader = this.cluster.facts().leaderName;
    if (leader === undefined)
      throw new PatroniHttpError(503, 'Cluster has no leader, can not reinitialize');
    if (leader === member) throw new PatroniHttpError(503, 'I am the leader, can not reinitialize');
    const message = create(ReinitializeRequestSchema, {
      force: lenientBoolean(body.force),
      fromLeader: lenientBoolean(body.from_leader),
    });
    const answer = await this.agent.send(member, 'reinitialize', message, REINITIALIZE_WAIT_MS);
    if (answer.ok) sendPlain(reply, 200, answer.message || 'reinitialize started');
    else sendPlain(reply, 503, answer.message || 'reinitialize failed');
  }
}
