import { Option, type Command } from 'commander';
import {
  cliContext,
  fetchCluster,
  memberBaseUrl,
  memberNamed,
  type CliContext,
} from '../cli-context.ts';
import { confirm } from '../confirmation.ts';
import { CliFailure, ExitCode } from '../exit-code.ts';
import { leaderOf, type ClusterDocument } from '../format/index.ts';
import { reportAction, reportMemberActions, type MemberOutcome } from './action-report.ts';

const FORCE = new Option('--force', 'do not ask for confirmation');

interface SwitchoverOptions {
  leader?: string;
  candidate?: string;
  scheduled?: string;
  force?: boolean;
}

interface RestartOptions {
  role?: string;
  pending?: boolean;
  scheduled?: string;
  pgVersion?: string;
  restartTimeout?: string;
  force?: boolean;
}

/** The members named, or every member when none is. */
function targets(cluster: ClusterDocument, names: readonly string[]) {
  if (names.length === 0) return [...cluster.members].sort((a, b) => a.name.localeCompare(b.name));
  return names.map((name) => memberNamed(cluster, name));
}

async function onMembers(
  context: CliContext,
  cluster: ClusterDocument,
  names: readonly string[],
  path: string,
  body: Record<string, unknown> | undefined,
): Promise<MemberOutcome[]> {
  const outcomes: MemberOutcome[] = [];
  for (const member of targets(cluster, names)) {
    const reply = await context.client.request('POST', path, body, memberBaseUrl(member));
    outcomes.push({ member: member.name, reply });
  }
  return outcomes;
}

function memberList(cluster: ClusterDocument, names: readonly string[]): string {
  return targets(cluster, names)
    .map((member) => member.name)
    .join(', ');
}

/** switchover and failover (cluster-wide), restart, reload and reinit (on each member's listener). */
export function registerActionCommands(program: Command): void {
  program
    .command('switchover')
    .description('hand the leader role to another member, now or at --scheduled (POST /switchover)')
    .option('--leader <name>', 'the current leader (default: as /cluster reports it)')
    .option('--candidate <name>', 'the member to promote (default: the healthiest)')
    .option('--scheduled <timestamp>', 'ISO 8601 with a timezone, e.g. 2030-01-01T10:00+00:00')
    .addOption(FORCE)
    .action(async (options: SwitchoverOptions, command: Command) => {
      const context = cliContext(command);
      const cluster = await fetchCluster(context);
      const leader = options.leader ?? leaderOf(cluster)?.name;
      if (leader === undefined)
        throw new CliFailure(
          ExitCode.refused,
          `cluster ${cluster.scope} has no leader: use failover`,
        );
      if (options.candidate !== undefined) memberNamed(cluster, options.candidate);
      const when = options.scheduled ? ` at ${options.scheduled}` : ' now';
      await confirm(
        `Are you sure you want to switchover cluster ${cluster.scope}${when}, demoting current leader ${leader}?`,
        options.force === true,
      );
      const body = {
        leader,
        ...(options.candidate === undefined ? {} : { candidate: options.candidate }),
        ...(options.scheduled === undefined ? {} : { scheduled_at: options.scheduled }),
      };
      reportAction(context, await context.client.request('POST', '/switchover', body));
    });

  program
    .command('failover')
    .description('promote a specific member now, whether or not there is a leader (POST /failover)')
    .requiredOption('--candidate <name>', 'the member to promote')
    .addOption(FORCE)
    .action(async (options: SwitchoverOptions & { candidate: string }, command: Command) => {
      const context = cliContext(command);
      const cluster = await fetchCluster(context);
      memberNamed(cluster, options.candidate);
      const leader = leaderOf(cluster)?.name;
      await confirm(
        `Are you sure you want to failover cluster ${cluster.scope} to ${options.candidate}` +
          `${leader ? `, demoting current leader ${leader}` : ''}?`,
        options.force === true,
      );
      const reply = await context.client.request('POST', '/failover', {
        candidate: options.candidate,
      });
      reportAction(context, reply);
    });

  program
    .command('restart')
    .description('restart PostgreSQL on the members named, or on every member (POST /restart)')
    .argument('[members...]', 'member names; every member when none')
    .option('--role <role>', 'only members with this role: primary, replica or standby_leader')
    .option('--pending', 'only members with a pending restart')
    .option('--scheduled <timestamp>', 'ISO 8601 with a timezone')
    .option('--pg-version <version>', 'only members running a PostgreSQL older than this')
    .option('--restart-timeout <seconds>', 'overrides primary_start_timeout for this restart')
    .addOption(FORCE)
    .action(async (names: string[], options: RestartOptions, command: Command) => {
      const context = cliContext(command);
      const cluster = await fetchCluster(context);
      await confirm(
        `Are you sure you want to restart members ${memberList(cluster, names)}?`,
        options.force === true,
      );
      const body = {
        ...(options.role === undefined ? {} : { role: options.role }),
        ...(options.pending ? { restart_pending: true } : {}),
        ...(options.scheduled === undefined ? {} : { schedule: options.scheduled }),
        ...(options.pgVersion === undefined ? {} : { postgres_version: options.pgVersion }),
        ...(options.restartTimeout === undefined ? {} : { timeout: options.restartTimeout }),
      };
      const outcomes = await onMembers(context, cluster, names, '/restart', body);
      reportMemberActions(context, 'restart', outcomes);
    });

  program
    .command('reload')
    .description('reload the configuration of the members named, or of every member (POST /reload)')
    .argument('[members...]', 'member names; every member when none')
    .addOption(FORCE)
    .action(async (names: string[], options: { force?: boolean }, command: Command) => {
      const context = cliContext(command);
      const cluster = await fetchCluster(context);
      await confirm(
        `Are you sure you want to reload members ${memberList(cluster, names)}?`,
        options.force === true,
      );
      const outcomes = await onMembers(context, cluster, names, '/reload', undefined);
      reportMemberActions(context, 'reload', outcomes);
    });

  program
    .command('reinit')
    .description('rebuild replicas from a fresh base backup (POST /reinitialize)')
    .argument('<members...>', 'member names')
    .option('--from-leader', 'clone from the leader rather than a clonefrom member')
    .addOption(FORCE)
    .action(
      async (
        names: string[],
        options: { fromLeader?: boolean; force?: boolean },
        command: Command,
      ) => {
        const context = cliContext(command);
        const cluster = await fetchCluster(context);
        await confirm(
          `Are you sure you want to reinitialize members ${memberList(cluster, names)}?`,
          options.force === true,
        );
        const body = options.fromLeader ? { from_leader: true } : undefined;
        const outcomes = await onMembers(context, cluster, names, '/reinitialize', body);
        reportMemberActions(context, 'reinitialize', outcomes);
      },
    );
}
