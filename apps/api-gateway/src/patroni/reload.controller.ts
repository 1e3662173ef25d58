import { create } from '@bufbuild/protobuf';
import { Controller, Post, Res, UseGuards } from '@nestjs/common';
import { ApiBasicAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ReloadRequestSchema } from '../../../../libs/proto/src/index.ts';
import { AgentCommands } from './agent-commands.ts';
import { BasicAuthGuard } from './basic-auth.guard.ts';
import { sendPlain } from './plain-reply.ts';
import { ServedMember } from './served-member.ts';

const RELOAD_WAIT_MS = 10_000;

/** `POST /reload`: the member's agent re-reads its configuration. */
@ApiTags('member')
@ApiBasicAuth()
@UseGuards(BasicAuthGuard)
@Controller('reload')
export class ReloadController {
  constructor(private readonly agent: AgentCommands) {}

  @Post()
  @ApiOperation({ summary: "Reload this member's configuration." })
  @ApiResponse({ status: 202, description: 'reload scheduled' })
  @ApiResponse({ status: 503, description: 'the agent failed or is unreachable' })
  async reload(@ServedMember() member: string, @Res() reply: FastifyReply): Promise<void> {
    const message = create(ReloadRequestSchema, {});
    const answer = await this.agent.send(member, 'reload', message, RELOAD_WAIT_MS);
    if (answer.ok) sendPlain(reply, 202, 'reload scheduled');
    else sendPlain(reply, 503, answer.message || 'reload failed');
  }
}
