import { Controller, Get, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { MEMBER_ACTIONS, MemberActionRelay, type MemberAction } from './member-action-relay.ts';
import { StatusFeed } from './status-feed.ts';
import { StatusPageAssets } from './status-page-assets.ts';

const NOT_BUILT = 'the status page is not built: run npm run build';

/**
 * The live status page (docs/status-page.md) at `/ui/`, on every listener of the gateway: its files,
 * its feed of server-sent events at `/ui/stream`, and the relay of member actions to the members' own
 * REST APIs. Cluster-wide actions (switchover, pause) go from the page to the REST API itself.
 */
@ApiExcludeController()
@Controller('ui')
export class StatusPageController {
  private readonly assets = new StatusPageAssets();

  constructor(
    private readonly feed: StatusFeed,
    private readonly relay: MemberActionRelay,
  ) {}

  @Get()
  root(@Res() reply: FastifyReply): void {
    void reply.redirect('/ui/', 308);
  }

  @Get('stream')
  stream(@Res() reply: FastifyReply): void {
    void reply.hijack();
    this.feed.open(reply.raw);
  }

  /** A wildcard, since only a wildcard may be empty: `/ui/` itself comes here too. */
  @Get('*')
  asset(@Param('*') file: string, @Res() reply: FastifyReply): void {
    this.file(file === '' ? 'index.html' : file, reply);
  }

  @Post('members/:member/:action')
  async memberAction(
    @Param('member') member: string,
    @Param('action') action: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    if (!(MEMBER_ACTIONS as readonly string[]).includes(action)) {
      void reply.status(404).header('content-type', 'text/html').send(`no action ${action}`);
      return;
    }
    const body = typeof request.body === 'string' ? request.body : '';
    const answer = await this.relay.relay(
      member,
      action as MemberAction,
      body,
      request.headers.authorization,
    );
    void reply.status(answer.status).header('content-type', answer.contentType).send(answer.body);
  }

  private file(name: string, reply: FastifyReply): void {
    const file = this.assets.file(name);
    if (!file) {
      const status = this.assets.file('index.html') ? 404 : 503;
      void reply
        .status(status)
        .header('content-type', 'text/plain; charset=utf-8')
        .send(status === 404 ? `no file ${name}` : NOT_BUILT);
      return;
    }
    void reply
      .header('content-type', file.type)
      .header('cache-control', 'no-cache')
      .send(file.body);
  }
}
