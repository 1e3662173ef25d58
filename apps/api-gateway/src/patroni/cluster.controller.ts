import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { clusterDocument, historyDocument } from '../../../../libs/domain/src/index.ts';
import { LiveCluster } from './live-cluster.ts';
import { sendJson } from './plain-reply.ts';

/** Cluster-wide state: the same answer on every listener (`/cluster`, `/history`). */
@ApiTags('cluster')
@Controller()
export class ClusterController {
  constructor(private readonly cluster: LiveCluster) {}

  @Get('cluster')
  @ApiOperation({ summary: 'Every member with its role, state, LSNs and lags (Patroni /cluster).' })
  @ApiOkResponse({ description: 'members sorted by name, scope, pause, scheduled_switchover' })
  clusterState(@Res() reply: FastifyReply): void {
    const view = this.cluster.view;
    const members = [...view.members.values()].map((entry) => entry.value);
    const document = clusterDocument(members, this.cluster.facts(), view.failover?.value);
    sendJson(reply, 200, JSON.stringify(document));
  }

  @Get('history')
  @ApiOperation({ summary: 'Timeline switches: [timeline, lsn, reason, timestamp, new_leader].' })
  @ApiOkResponse({ description: 'array of arrays, oldest first' })
  history(@Res() reply: FastifyReply): void {
    sendJson(reply, 200, JSON.stringify(historyDocument(this.cluster.view.history?.value)));
  }
}
