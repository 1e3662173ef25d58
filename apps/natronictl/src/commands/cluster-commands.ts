import type { Command } from 'commander';
import { cliContext, fetchCluster } from '../cli-context.ts';
import {
  clusterFooter,
  historyRows,
  historyTable,
  listRows,
  memberTable,
  renderDocument,
  renderTable,
  topologyRows,
  type ClusterDocument,
  type HistoryEntry,
  type MemberRow,
} from '../format/index.ts';

function membersCommand(
  program: Command,
  name: string,
  description: string,
  rowsOf: (cluster: ClusterDocument) => MemberRow[],
): void {
  program
    .command(name)
    .description(description)
    .action(async (_options: object, command: Command) => {
      const context = cliContext(command);
      const cluster = await fetchCluster(context);
      const rows = rowsOf(cluster);
      if (context.format !== 'pretty') {
        context.out(renderDocument(rows, context.format));
        return;
      }
      context.out([renderTable(memberTable(cluster, rows)), ...clusterFooter(cluster)].join('\n'));
    });
}

/** list, topology and history: read-only views of the cluster. */
export function registerClusterCommands(program: Command): void {
  membersCommand(
    program,
    'list',
    'the members with host, role, state, timeline and lag (GET /cluster)',
    listRows,
  );
  membersCommand(
    program,
    'topology',
    'the members as a replication tree, the leader first',
    topologyRows,
  );
  program
    .command('history')
    .description('the timeline switches (GET /history)')
    .action(async (_options: object, command: Command) => {
      const context = cliContext(command);
      const rows = historyRows(await context.client.getJson<HistoryEntry[]>('/history'));
      context.out(
        context.format === 'pretty'
          ? renderTable(historyTable(rows))
          : renderDocument(rows, context.format),
      );
    });
}
