import { connect } from '@nats-io/transport-node';
import { eventSubject } from '../../../libs/events/src/index.ts';
import { decodeWire, EventSchema } from '../../../libs/proto/src/index.ts';
import { CliFailure } from './exit-code.ts';
import { formatEvent, type OutputFormat } from './format/index.ts';

export interface EventFollowOptions {
  readonly servers: readonly string[];
  readonly user?: string;
  readonly password?: string;
  readonly namespace: string;
  readonly scope: string;
  /** One kind (e.g. "failover"); every kind when absent. */
  readonly kind?: string;
  /** Stop after this many events; follow until interrupted when absent. */
  readonly count?: number;
  readonly format: OutputFormat;
  readonly write: (line: string) => void;
}

/**
 * Follows the cluster's event stream on `<ns>.<scope>.events.>` from now on, until `count` events were
 * printed or the process is interrupted.
 */
export async function followEvents(options: EventFollowOptions): Promise<void> {
  let nc;
  try {
    nc = await connect({
      servers: [...options.servers],
      name: `natronictl:${options.scope}`,
      timeout: 5_000,
      ...(options.user === undefined ? {} : { user: options.user, pass: options.password }),
    });
  } catch (error) {
    throw new CliFailure(
      `cannot reach NATS at ${options.servers.join(', ')}: ${(error as Error).message}`,
    );
  }
  const subject = eventSubject(options.namespace, options.scope, options.kind ?? '>');
  const subscription = nc.subscribe(subject);
  const stop = (): void => subscription.unsubscribe();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await nc.flush();
    process.stderr.write(`following ${subject} (Ctrl-C to stop)\n`);
    let seen = 0;
    for await (const message of subscription) {
      try {
        options.write(formatEvent(decodeWire(EventSchema, message.data), options.format));
      } catch (error) {
        process.stderr.write(
          `skipped an undecodable event on ${message.subject}: ${(error as Error).message}\n`,
        );
        continue;
      }
      seen += 1;
      if (options.count !== undefined && seen >= options.count) break;
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await nc.close();
  }
}
