import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection, Status } from '@nats-io/transport-node';
import { InjectNatsConnection } from './nats-connection.token.ts';

/** A drain flushes to the server, which never completes while it is unreachable. */
const DRAIN_TIMEOUT_MS = 3_000;

/** Logs the connection's status changes and drains the connection when the application shuts down. */
@Injectable()
export class NatsConnectionLifecycle implements OnApplicationShutdown {
  private readonly logger = new Logger('NatsConnection');
  private connected = true;

  constructor(@InjectNatsConnection() private readonly connection: NatsConnection) {
    this.followStatus().catch((error: unknown) => {
      this.logger.error({ msg: 'stopped following the NATS connection status', err: error });
    });
  }

  async onApplicationShutdown(): Promise<void> {
    const connection = this.connection;
    if (connection.isClosed()) return;
    if (this.connected && !connection.isDraining()) {
      const settled = await settlesWithin(connection.drain(), DRAIN_TIMEOUT_MS);
      if (!settled) this.logger.warn(`drain did not finish within ${DRAIN_TIMEOUT_MS} ms: closing`);
    }
    if (!connection.isClosed()) await connection.close();
  }

  private async followStatus(): Promise<void> {
    for await (const status of this.connection.status()) {
      if (status.type === 'disconnect') this.connected = false;
      if (status.type === 'reconnect') this.connected = true;
      this.logStatus(status);
    }
  }

  private logStatus(status: Status): void {
    switch (status.type) {
      case 'disconnect':
        this.logger.warn({ msg: 'disconnected from NATS', server: status.server });
        break;
      case 'reconnect':
        this.logger.log({ msg: 'reconnected to NATS', server: status.server });
        break;
      case 'error':
        this.logger.error({ msg: 'NATS error', err: status.error });
        break;
      case 'ldm':
        this.logger.warn({ msg: 'NATS server entered lame duck mode', server: status.server });
        break;
      case 'slowConsumer':
        this.logger.warn({
          msg: 'slow NATS consumer',
          subject: status.sub.getSubject(),
          pending: status.pending,
        });
        break;
      default:
        break;
    }
  }
}

/** Resolves true when `promise` settles within `ms`, false otherwise; never rejects. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
