import { InvalidArgumentError, Option, type Command } from 'commander';
import { cliContext, fetchCluster, formatOf } from '../cli-context.ts';
import { OUTPUT_FORMATS } from '../format/index.ts';
import { followEvents } from '../event-follower.ts';

interface EventsOptions {
  natsServers: string;
  natsUser?: string;
  natsPassword?: string;
  namespace: string;
  scope?: string;
  kind?: string;
  count?: number;
}

function positiveInteger(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new InvalidArgumentError(`${JSON.stringify(text)} is not a positive integer`);
  return value;
}

/** events: follows the cluster's event stream on NATS. */
export function registerEventsCommand(program: Command): void {
  program
    .command('events')
    .description('follow the event stream on NATS (<namespace>.<scope>.events.>), one event a line')
    .addOption(
      new Option('--nats-servers <urls>', 'comma-separated NATS URLs')
        .env('NATRONI_NATS_SERVERS')
        .default('nats://127.0.0.1:4222'),
    )
    .addOption(new Option('--nats-user <user>').env('NATRONI_NATS_USER'))
    .addOption(new Option('--nats-password <password>').env('NATRONI_NATS_PASSWORD'))
    .addOption(
      new Option('--namespace <ns>', 'subject prefix').env('NATRONI_NAMESPACE').default('natroni'),
    )
    .addOption(
      new Option('--scope <scope>', 'the cluster (default: asked of the gateway)').env(
        'NATRONI_SCOPE',
      ),
    )
    .option('--kind <kind>', 'only this kind, e.g. failover or leader_elected')
    .option('--count <n>', 'stop after n events', positiveInteger)
    .addOption(
      new Option('-f, --format <format>', 'pretty: a line of words; json: one JSON object a line')
        .choices(OUTPUT_FORMATS)
        .default('pretty'),
    )
    .action(async (options: EventsOptions, command: Command) => {
      const context = await cliContext(command);
      const scope = options.scope ?? (await fetchCluster(context)).scope;
      await followEvents({
        servers: options.natsServers
          .split(',')
          .map((server) => server.trim())
          .filter(Boolean),
        ...(options.natsUser === undefined ? {} : { user: options.natsUser }),
        ...(options.natsPassword === undefined ? {} : { password: options.natsPassword }),
        namespace: options.namespace,
        scope,
        ...(options.kind === undefined ? {} : { kind: options.kind }),
        ...(options.count === undefined ? {} : { count: options.count }),
        format: formatOf(command),
        write: context.out,
      });
    });
}
