import { Option, type Command } from 'commander';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { clusterBucketName } from '../../../../libs/dcs/src/index.ts';
import { cliContext, fetchCluster, formatOf, systemIdOf } from '../cli-context.ts';
import { CliFailure } from '../exit-code.ts';
import { leaderOf, memberListing, OUTPUT_FORMATS, renderTabular } from '../format/index.ts';

interface RemoveOptions {
  natsServers?: string;
  natsUser?: string;
  natsPassword?: string;
  namespace: string;
}

/** The KV bucket holding the cluster's keys is a JetStream stream named after it. */
async function deleteClusterBucket(servers: string[], options: RemoveOptions, scope: string) {
  let nc;
  try {
    nc = await connect({
      servers,
      name: `natronictl:${scope}`,
      timeout: 5_000,
      ...(options.natsUser === undefined
        ? {}
        : { user: options.natsUser, pass: options.natsPassword }),
    });
  } catch (error) {
    throw new CliFailure(`cannot reach NATS at ${servers.join(', ')}: ${(error as Error).message}`);
  }
  try {
    const manager = await jetstreamManager(nc, { timeout: 5_000 });
    await manager.streams.delete(`KV_${clusterBucketName(options.namespace, scope)}`);
  } catch (error) {
    throw new CliFailure(
      `could not remove the keys of cluster ${scope}: ${(error as Error).message}`,
    );
  } finally {
    await nc.close();
  }
}

/** remove: every key of the cluster erased from NATS, after patronictl's three confirmations. */
export function registerRemoveCommand(program: Command): void {
  program
    .command('remove')
    .description('Remove cluster from DCS')
    .argument('<CLUSTER_NAME>')
    .addOption(
      new Option('-f, --format <format>', 'Output format')
        .choices(OUTPUT_FORMATS)
        .default('pretty'),
    )
    .addOption(
      new Option('--nats-servers <urls>', 'comma-separated NATS URLs').env('NATRONI_NATS_SERVERS'),
    )
    .addOption(new Option('--nats-user <user>').env('NATRONI_NATS_USER'))
    .addOption(new Option('--nats-password <password>').env('NATRONI_NATS_PASSWORD'))
    .addOption(new Option('--namespace <ns>', 'subject prefix').env('NATRONI_NAMESPACE'))
    .action(async (clusterName: string, options: RemoveOptions, command: Command) => {
      const context = await cliContext(command);
      const cluster = await fetchCluster(context, clusterName);
      const format = formatOf(command);
      context.out(
        renderTabular(
          memberListing(cluster, format, { systemId: await systemIdOf(context, cluster) }),
          format,
        ),
      );
      const name = await context.prompts.ask('Please confirm the cluster name to remove');
      if (name !== clusterName) throw new CliFailure('Cluster names specified do not match');
      const phrase = 'Yes I am aware';
      const typed = await context.prompts.ask(
        `You are about to remove all information in DCS for ${clusterName}, please type: "${phrase}"`,
      );
      if (typed !== phrase) throw new CliFailure(`You did not exactly type "${phrase}"`);
      const leader = leaderOf(cluster);
      if (leader) {
        const named = await context.prompts.ask(
          'This cluster currently is healthy. Please specify the leader name to continue',
        );
        if (named !== leader.name)
          throw new CliFailure('You did not specify the current leader of the cluster');
      }
      const servers = (
        options.natsServers?.split(',') ??
        context.config.natsServers ?? ['nats://127.0.0.1:4222']
      )
        .map((server) => server.trim())
        .filter(Boolean);
      await deleteClusterBucket(
        servers,
        { ...options, namespace: options.namespace ?? context.config.namespace ?? 'natroni' },
        cluster.scope,
      );
    });
}
