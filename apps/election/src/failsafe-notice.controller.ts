import { Controller, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BASIC_AUTH_CHALLENGE, BasicAuthCheck } from '../../../libs/basic-auth/src/index.ts';
import { MEMBER_CONFIG, type MemberConfig } from '../../../libs/member-config/src/index.ts';
import {
  decodeWire,
  FailsafeNoticeSchema,
  WireDecodeError,
} from '../../../libs/proto/src/index.ts';
import { FailsafeGrants } from './failsafe-grants.ts';

/**
 * Patroni's `POST /failsafe` on the election's own listener: how a primary reaches this member when
 * NATS is down for every member (the gateway's `/failsafe` needs NATS to reach the election). The body
 * and the answers are Patroni's; the credentials are the member's `restapi.authentication`.
 */
@Controller('failsafe')
export class FailsafeNoticeController {
  private readonly auth: BasicAuthCheck | undefined;

  constructor(
    private readonly grants: FailsafeGrants,
    @Inject(MEMBER_CONFIG) config: MemberConfig,
  ) {
    const credentials = config.restapi.authentication;
    this.auth = credentials ? new BasicAuthCheck(credentials) : undefined;
  }

  @Post()
  async notice(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const problem = this.auth?.problem(request.headers.authorization);
    if (problem) return send(reply.headers(BASIC_AUTH_CHALLENGE), 401, problem);
    let notice;
    try {
      const body = typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
      notice = decodeWire(FailsafeNoticeSchema, body ?? '');
    } catch (error) {
      if (!(error instanceof WireDecodeError)) throw error;
      return send(reply, 400, error.message);
    }
    const answer = await this.grants.decide(notice);
    if (!answer.accepted) return send(reply, 500, answer.message);
    send(reply.header('lsn', String(answer.lsn)), 200, 'Accepted');
  }
}

function send(reply: FastifyReply, status: number, text: string): void {
  void reply.status(status).header('content-type', 'text/html').send(text);
}
