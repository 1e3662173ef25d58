import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import {
  clusterDocument,
  historyDocument,
  presentMembers,
} from '../../../../libs/domain/src/index.ts';
import { LiveCluster } from '../../../../libs/live-cluster/src/index.ts';
import { sendJson } from './plain-reply.ts';

/** Cluster-wide state: the same answer on every listener (`/cluster`, `/history`); a gone member is not listed. */
@ApiTags('cluster')
@Controller()
export class ClusterController {
  constructor(private readonly cluster: LiveCluster) {}

  @Get('cluster')
  @ApiOperation({ summary: 'Every member with its role, state, LSNs and lags (Patroni /cluster).' })
  @ApiOkResponse({ description: 'members sorted by name, scope, pause, scheduled_switchover' })
  clusterState(@Res() reply: FastifyReply): void {
    const view = this.cluster.view;
    const now = performance.now();
    const facts = this.cluster.facts(now);
    const members = presentMembers(
      this.cluster.memberNames().map((name) => this.cluster.member(name, now)),
      facts,
    );
    const document = clusterDocument(members, facts, view.failover?.value);
    sendJson(reply, 200, JSON.stringify(document));
  }

  @Get('history')
  @ApiOperation({ summary: 'Timeline switches: [timeline, lsn, reason, timestamp, new_leader].' })
  @ApiOkResponse({ description: 'array of arrays, oldest first' })
  history(@Res() reply: FastifyReply): void {
    sendJson(reply, 200, JSON.stringify(historyDocument(this.cluster.view.history?.value)));
  }
}
