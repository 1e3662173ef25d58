import { Option, type Command } from 'commander';
import { cliContext, fetchCluster, formatOf, localTimestamp, systemIdOf } from '../cli-context.ts';
import {
  clusterFooter,
  historyListing,
  memberListing,
  OUTPUT_FORMATS,
  renderTabular,
  type HistoryEntry,
} from '../format/index.ts';
import { watchOptions, watching, type WatchOptions } from '../watch.ts';

export const FORMAT_OPTION = (defaultFormat = 'pretty') =>
  new Option('-f, --format <format>', 'Output format')
    .choices(OUTPUT_FORMATS)
    .default(defaultFormat);

interface ListOptions extends WatchOptions {
  extended?: boolean;
  timestamp?: boolean;
}

function listAction(topology: boolean) {
  return async (clusterNames: string[], options: ListOptions, command: Command) => {
    const context = await cliContext(command);
    const format = topology ? 'pretty' : formatOf(command);
    await watching(options, async () => {
      if (options.timestamp) context.out(localTimestamp(0));
      for (const name of clusterNames.length > 0 ? clusterNames : [undefined]) {
        const cluster = await fetchCluster(context, name);
        const listing = memberListing(cluster, format, {
          systemId: await systemIdOf(context, cluster),
          extended: options.extended === true,
          topology,
        });
        context.out(renderTabular(listing, format));
        if (format === 'pretty') for (const line of clusterFooter(cluster)) context.out(line);
      }
    });
  };
}

/** list, topology and history: read-only views of the cluster. */
export function registerClusterCommands(program: Command): void {
  const list = program
    .command('list')
    .description('List the Patroni members for a given Patroni')
    .argument('[CLUSTER_NAMES...]')
    .option('-e, --extended', 'Show some extra information')
    .option('-t, --timestamp', 'Print timestamp')
    .addOption(FORMAT_OPTION());
  for (const option of watchOptions()) list.addOption(option);
  list.action(listAction(false));

  const topology = program
    .command('topology')
    .description('Prints ASCII topology for given cluster')
    .argument('[CLUSTER_NAMES...]');
  for (const option of watchOptions()) topology.addOption(option);
  topology.action(listAction(true));

  program
    .command('history')
    .description('Show the history of failovers/switchovers')
    .argument('[CLUSTER_NAME]')
    .addOption(FORMAT_OPTION())
    .action(async (clusterName: string | undefined, _options: object, command: Command) => {
      const context = await cliContext(command);
      await fetchCluster(context, clusterName);
      const history = await context.client.getJson<HistoryEntry[]>('/history');
      context.out(renderTabular(historyListing(history), formatOf(command)));
    });
}
