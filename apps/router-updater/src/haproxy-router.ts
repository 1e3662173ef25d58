import {
  haproxyCommands,
  serverSettings,
  type HaproxyBackends,
  type RouterView,
  type ServerSettings,
} from '../../../libs/domain/src/index.ts';
import { sendRuntimeCommands } from './haproxy-stats-socket.ts';
import type { HaproxyRouterDto } from './router-config.dto.ts';
import { RouterLink, type RouterFailure } from './router-link.ts';

export interface RouterReports {
  readonly onFailure: (failure: RouterFailure) => void;
  readonly onApplied: (router: string, change: string, attempts: number) => void;
}

/**
 * One HAProxy instance driven through its stats socket: each view becomes server settings, and only
 * what changed since the last success is sent; after a failure, everything is sent again.
 */
export class HaproxyRouter {
  private readonly backends: HaproxyBackends;
  private readonly link: RouterLink<ServerSettings>;
  private applied: ServerSettings | undefined;

  constructor(
    config: HaproxyRouterDto,
    retryIntervalMs: number,
    timeoutMs: number,
    reports: RouterReports,
  ) {
    this.backends = {
      primary: config.primary_backend,
      replicas: config.replica_backends,
      servers: config.servers,
    };
    let sent: string[] = [];
    this.link = new RouterLink({
      router: config.name,
      routerKind: 'haproxy',
      address: config.stats_socket,
      retryIntervalMs,
      apply: async (wanted) => {
        sent = haproxyCommands(this.applied, wanted);
        this.applied = undefined;
        if (sent.length > 0) await sendRuntimeCommands(config.stats_socket, sent, timeoutMs);
        this.applied = wanted;
      },
      onFailure: reports.onFailure,
      onApplied: (_wanted, attempts) => {
        if (sent.length > 0) reports.onApplied(config.name, sent.join('; '), attempts);
      },
    });
  }

  update(view: RouterView): void {
    this.link.set(serverSettings(view, this.backends));
  }

  stop(): Promise<void> {
    return this.link.stop();
  }
}
