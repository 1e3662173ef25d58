import { Controller, Delete, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBasicAuth, ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BasicAuthGuard } from './basic-auth.guard.ts';
import { SwitchoverRequestDto } from './dto/switchover-request.dto.ts';
import { sendPlain } from './plain-reply.ts';
import { jsonBody, validated } from './request-body.ts';
import { SwitchoverService } from './switchover.service.ts';

/** Manual switchover and failover: cluster-wide, the same on every listener. */
@ApiTags('switchover')
@ApiBasicAuth()
@UseGuards(BasicAuthGuard)
@Controller()
export class SwitchoverController {
  constructor(private readonly switchovers: SwitchoverService) {}

  @Post('switchover')
  @ApiOperation({
    summary: 'Switch the leader over, now (waits for the outcome) or at scheduled_at.',
  })
  @ApiBody({ type: SwitchoverRequestDto })
  @ApiResponse({ status: 200, description: 'Successfully switched over to "<name>"' })
  @ApiResponse({ status: 202, description: 'Switchover scheduled' })
  @ApiResponse({ status: 400, description: 'invalid request (Patroni messages)' })
  @ApiResponse({ status: 412, description: 'not possible in the current cluster' })
  @ApiResponse({ status: 503, description: 'failed, or status unknown after the timeout' })
  async switchover(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const body = validated(SwitchoverRequestDto, jsonBody(request, true));
    const outcome = await this.switchovers.request('switchover', body);
    sendPlain(reply, outcome.status, outcome.text);
  }

  @Post('failover')
  @ApiOperation({ summary: 'Promote a specific candidate now.' })
  @ApiBody({ type: SwitchoverRequestDto })
  @ApiResponse({ status: 200, description: 'Successfully failed over to "<name>"' })
  @ApiResponse({ status: 400, description: 'invalid request (Patroni messages)' })
  @ApiResponse({ status: 412, description: 'not possible in the current cluster' })
  @ApiResponse({ status: 503, description: 'failed, or status unknown after the timeout' })
  async failover(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const body = validated(SwitchoverRequestDto, jsonBody(request, true));
    const outcome = await this.switchovers.request('failover', body);
    sendPlain(reply, outcome.status, outcome.text);
  }

  @Delete('switchover')
  @ApiOperation({ summary: 'Cancel a scheduled switchover.' })
  @ApiResponse({ status: 200, description: 'scheduled switchover deleted' })
  @ApiResponse({ status: 404, description: 'no switchover is scheduled' })
  async cancel(@Res() reply: FastifyReply): Promise<void> {
    const outcome = await this.switchovers.cancelScheduled();
    sendPlain(reply, outcome.status, outcome.text);
  }
}
