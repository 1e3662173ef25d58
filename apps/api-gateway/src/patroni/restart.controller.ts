import { create } from '@bufbuild/protobuf';
import { Controller, Delete, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBasicAuth, ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { boundedTimerMs, decideRestart } from '../../../../libs/domain/src/index.ts';
import {
  CancelRestartRequestSchema,
  RestartRequestSchema,
} from '../../../../libs/proto/src/index.ts';
import { AgentCommands } from './agent-commands.ts';
import { BasicAuthGuard } from './basic-auth.guard.ts';
import { RestartRequestDto } from './dto/restart-request.dto.ts';
import { LiveCluster } from '../../../../libs/live-cluster/src/index.ts';
import { PatroniHttpError } from './patroni-http-error.ts';
import { sendPlain } from './plain-reply.ts';
import { jsonBody, validated } from './request-body.ts';
import { ServedMember } from './served-member.ts';

/** Beyond Patroni's primary_start_timeout (300 s), the gateway stops waiting for the agent. */
const DEFAULT_RESTART_WAIT_MS = 310_000;
const CANCEL_WAIT_MS = 5_000;

/** `POST|DELETE /restart` for the listener's member, carried out by its agent. */
@ApiTags('member')
@ApiBasicAuth()
@UseGuards(BasicAuthGuard)
@Controller('restart')
export class RestartController {
  constructor(
    private readonly cluster: LiveCluster,
    private readonly agent: AgentCommands,
  ) {}

  @Post()
  @ApiOperation({
    summary: "Restart this member's PostgreSQL, now or at schedule, if conditions hold.",
  })
  @ApiBody({ type: RestartRequestDto, required: false })
  @ApiResponse({ status: 200, description: 'restarted successfully' })
  @ApiResponse({ status: 202, description: 'Restart scheduled' })
  @ApiResponse({ status: 400, description: 'invalid filter' })
  @ApiResponse({
    status: 503,
    description: 'conditions not satisfied, failed, or agent unreachable',
  })
  async restart(
    @ServedMember() member: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const body = jsonBody(request, false);
    validated(RestartRequestDto, body);
    const decision = decideRestart(body, this.cluster.facts().paused, Date.now());
    if (!decision.ok) throw new PatroniHttpError(decision.code, decision.message);
    const { filters } = decision;
    const message = create(RestartRequestSchema, {
      ...(filters.role === undefined ? {} : { role: filters.role }),
      ...(filters.postgresVersion === undefined
        ? {}
        : { postgresVersion: filters.postgresVersion }),
      ...(filters.restartPending === undefined ? {} : { restartPending: filters.restartPending }),
      ...(filters.schedule === undefined ? {} : { schedule: filters.schedule }),
      ...(filters.timeoutSeconds === undefined ? {} : { timeout: filters.timeoutSeconds }),
    });
    const waitMs =
      filters.timeoutSeconds === undefined
        ? DEFAULT_RESTART_WAIT_MS
        : boundedTimerMs((filters.timeoutSeconds + 10) * 1000);
    const answer = await this.agent.send(member, 'restart', message, waitMs);
    const scheduled = filters.schedule !== undefined;
    if (answer.ok) {
      sendPlain(
        reply,
        scheduled ? 202 : 200,
        scheduled ? 'Restart scheduled' : answer.message || 'restarted successfully',
      );
    } else if (answer.errorCode === 'bad_request') {
      sendPlain(reply, 400, answer.message || 'restart failed');
    } else if (scheduled) {
      sendPlain(reply, 409, answer.message || 'Another restart is already scheduled');
    } else {
      sendPlain(reply, 503, answer.message || 'restart failed');
    }
  }

  @Delete()
  @ApiOperation({ summary: 'Cancel the scheduled restart of this member.' })
  @ApiResponse({ status: 200, description: 'scheduled restart deleted' })
  @ApiResponse({ status: 404, description: 'no restarts are scheduled' })
  @ApiResponse({ status: 503, description: 'the agent is unreachable' })
  async cancel(@ServedMember() member: string, @Res() reply: FastifyReply): Promise<void> {
    const message = create(CancelRestartRequestSchema, {});
    const answer = await this.agent.send(member, 'cancel_restart', message, CANCEL_WAIT_MS);
    if (answer.ok) sendPlain(reply, 200, answer.message || 'scheduled restart deleted');
    else if (answer.errorCode === 'not_found') sendPlain(reply, 404, 'no restarts are scheduled');
    else sendPlain(reply, 503, answer.message || 'could not delete the scheduled restart');
  }
}
