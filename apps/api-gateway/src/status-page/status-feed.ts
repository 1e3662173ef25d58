import { Injectable, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import {
  inMaintenance,
  isDraining,
  serverKeyToken,
  statusPageDocument,
} from '../../../../libs/domain/src/index.ts';
import { LiveCluster } from '../../../../libs/live-cluster/src/index.ts';
import { RecentEvents } from './recent-events.ts';

/** Changes closer together than this reach the pages as one. */
const COALESCE_MS = 50;
/** Even a quiet cluster refreshes the pages' ages and the lease's time left this often. */
const TICK_MS = 1_000;
/** How soon a page whose connection broke tries again (EventSource's `retry`). */
const RECONNECT_MS = 1_000;
/** A page that reads less than this far behind is dropped; it reconnects and starts afresh. */
const MAX_UNREAD_BYTES = 1024 * 1024;

/**
 * The status page's live feed: server-sent events to every open page. Each change of the cluster view
 * (the KV watch) sends the page's document, made once for all pages, and each cluster event is sent as
 * it arrives; a page that opens first gets the document and the recent events.
 */
@Injectable()
export class StatusFeed implements OnModuleInit, BeforeApplicationShutdown {
  private readonly pages = new Set<ServerResponse>();
  private pending: ReturnType<typeof setTimeout> | undefined;
  private ticker: ReturnType<typeof setInterval> | undefined;
  private unsubscribe: (() => void) | undefined;
  private leaderRevision = -1;
  private leaderSeenAt = performance.now();

  constructor(
    private readonly cluster: LiveCluster,
    private readonly events: RecentEvents,
  ) {}

  onModuleInit(): void {
    this.noteLeader();
    this.unsubscribe = this.cluster.onChange(() => {
      this.noteLeader();
      if (this.pages.size > 0) this.schedule();
    });
  }

  /** Before the HTTP servers close, which would otherwise wait for the open streams. */
  beforeApplicationShutdown(): void {
    this.unsubscribe?.();
    clearTimeout(this.pending);
    clearInterval(this.ticker);
    for (const page of this.pages) page.end();
    this.pages.clear();
  }

  get openPages(): number {
    return this.pages.size;
  }

  /** The document as a page receives it. */
  document(): string {
    const now = performance.now();
    const view = this.cluster.view;
    return JSON.stringify(
      statusPageDocument({
        facts: this.cluster.facts(now),
        members: this.cluster.memberNames().map((name) => this.cluster.member(name, now)),
        lease: view.leader?.value,
        leaseAgeMs: now - this.leaderSeenAt,
        failover: view.failover?.value,
        history: view.history?.value,
        serverState: (name) => {
          const server = view.servers.get(serverKeyToken(name))?.value;
          return { maintenance: inMaintenance(server), draining: isDraining(server) };
        },
        nowWallMs: Date.now(),
      }),
    );
  }

  /** Streams the feed on `page` until it closes. */
  open(page: ServerResponse): void {
    page.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    page.socket?.setNoDelay(true);
    page.write(`retry: ${RECONNECT_MS}\n`);
    page.write(message('state', this.document()));
    page.write(message('events', JSON.stringify(this.events.events)));
    this.pages.add(page);
    page.on('close', () => this.close(page));
    if (this.pages.size === 1) {
      this.events.start((event) => this.broadcast(message('event', JSON.stringify(event))));
      this.ticker = setInterval(() => this.send(), TICK_MS);
    }
  }

  private close(page: ServerResponse): void {
    if (!this.pages.delete(page) || this.pages.size > 0) return;
    this.events.stop();
    clearInterval(this.ticker);
    clearTimeout(this.pending);
    this.pending = undefined;
  }

  private noteLeader(): void {
    const revision = this.cluster.view.leader?.revision ?? 0;
    if (revision === this.leaderRevision) return;
    this.leaderRevision = revision;
    this.leaderSeenAt = performance.now();
  }

  private schedule(): void {
    this.pending ??= setTimeout(() => this.send(), COALESCE_MS);
  }

  private send(): void {
    clearTimeout(this.pending);
    this.pending = undefined;
    if (this.pages.size > 0) this.broadcast(message('state', this.document()));
  }

  private broadcast(text: string): void {
    for (const page of this.pages) {
      if (page.writableLength > MAX_UNREAD_BYTES) page.destroy();
      else page.write(text);
    }
  }
}

function message(event: string, data: string): string {
  return `event: ${event}\ndata: ${data}\n\n`;
}
