import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ClusterMetrics } from './cluster-metrics.ts';

/** `GET /metrics`: one Prometheus scrape target for the whole cluster. */
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: ClusterMetrics) {}

  @Get()
  async scrape(@Res() reply: FastifyReply): Promise<void> {
    const text = await this.metrics.render();
    void reply.status(200).header('content-type', this.metrics.contentType).send(text);
  }
}
