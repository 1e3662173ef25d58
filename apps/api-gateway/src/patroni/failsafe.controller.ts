import { Controller, Get, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { ApiBasicAuth, ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { FailsafeNotices, FailsafeUnreachableError } from '../../../../libs/failsafe/src/index.ts';
import { InjectNatsConnection } from '../../../../libs/nats/src/index.ts';
import { BasicAuthGuard } from './basic-auth.guard.ts';
import { FailsafeNoticeDto } from './dto/failsafe-notice.dto.ts';
import { LiveCluster } from '../../../../libs/live-cluster/src/index.ts';
import { PatroniHttpError } from './patroni-http-error.ts';
import { sendJson, sendPlain } from './plain-reply.ts';
import { jsonBody, validated } from './request-body.ts';
import { ServedMember } from './served-member.ts';

const NOTICE_WAIT_MS = 1_500;

/**
 * Failsafe mode's endpoints: the `failsafe` key, and the notice a primary that cannot reach the
 * leader key sends to every member, forwarded to the member's election over NATS.
 */
@ApiTags('member')
@Controller('failsafe')
export class FailsafeController {
  private readonly notices: FailsafeNotices;

  constructor(
    private readonly cluster: LiveCluster,
    @InjectNatsConnection() connection: NatsConnection,
  ) {
    this.notices = new FailsafeNotices(connection, cluster.namespace, cluster.scope);
  }

  @Get()
  @ApiOperation({ summary: 'The members of the failsafe key and their api_url.' })
  @ApiResponse({ status: 200, description: '{member: api_url}' })
  @ApiResponse({ status: 502, description: 'failsafe mode has no members (the key is absent)' })
  topology(@Res() reply: FastifyReply): void {
    const members = this.cluster.view.failsafe?.value.members;
    if (!members) throw PatroniHttpError.page(502);
    sendJson(reply, 200, JSON.stringify(members));
  }

  @Post()
  @ApiBasicAuth()
  @UseGuards(BasicAuthGuard)
  @ApiOperation({ summary: 'A primary that cannot reach the leader key asks to stay leader.' })
  @ApiBody({ type: FailsafeNoticeDto })
  @ApiResponse({ status: 200, description: 'Accepted, with this member\'s WAL position in "lsn"' })
  @ApiResponse({ status: 500, description: 'Running as a leader (or another refusal)' })
  @ApiResponse({ status: 502, description: 'failsafe mode is disabled' })
  @ApiResponse({ status: 503, description: "the member's election could not be asked" })
  async notice(
    @ServedMember() member: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    if (this.cluster.view.config?.value.failsafeMode !== true) throw PatroniHttpError.page(502);
    const body = validated(FailsafeNoticeDto, jsonBody(request, true));
    const slots: Record<string, number> = {};
    for (const [slot, lsn] of Object.entries(body.slots ?? {})) {
      if (typeof lsn === 'number' && Number.isFinite(lsn)) slots[slot] = lsn;
    }
    try {
      const answer = await this.notices.send(
        member,
        { name: body.name, connUrl: body.conn_url, apiUrl: body.api_url, slots },
        NOTICE_WAIT_MS,
      );
      if (!answer.accepted) return sendPlain(reply, 500, answer.message);
      void reply.header('lsn', String(answer.lsn));
      sendPlain(reply, 200, 'Accepted');
    } catch (error) {
      if (!(error instanceof FailsafeUnreachableError)) throw error;
      throw new PatroniHttpError(503, error.message);
    }
  }
}
