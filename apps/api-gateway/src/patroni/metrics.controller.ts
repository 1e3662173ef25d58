import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { LiveCluster } from '../../../../libs/live-cluster/src/index.ts';
import { PatroniMetrics } from './patroni-metrics.ts';
import { ServedMember } from './served-member.ts';

/** `GET /metrics`: the listener's member in Prometheus text format. */
@ApiTags('member')
@Controller('metrics')
export class MetricsController {
  private readonly registries = new Map<string, PatroniMetrics>();

  constructor(private readonly cluster: LiveCluster) {}

  @Get()
  @ApiOperation({ summary: "Patroni's metrics for this member." })
  @ApiOkResponse({ description: 'Prometheus text format, samples labelled {scope, name}' })
  async metrics(@ServedMember() member: string, @Res() reply: FastifyReply): Promise<void> {
    let metrics = this.registries.get(member);
    if (!metrics) {
      metrics = new PatroniMetrics(this.cluster.scope, member);
      this.registries.set(member, metrics);
    }
    const text = await metrics.render(this.cluster.member(member), this.cluster.facts());
    void reply.status(200).header('content-type', 'text/plain').send(text);
  }
}
