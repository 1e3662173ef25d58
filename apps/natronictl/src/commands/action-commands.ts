import { Option, type Command } from 'commander';
import { offeredCandidates, postgresVersionProblem } from '../../../../libs/domain/src/index.ts';
import {
  cliContext,
  fetchCluster,
  localTimestamp,
  memberBaseUrl,
  membersTable,
  type CliContext,
} from '../cli-context.ts';
import { CliFailure, ExitCode } from '../exit-code.ts';
import { leaderOf, type ClusterDocument, type ClusterMember } from '../format/index.ts';
import type { GatewayReply } from '../gateway-client.ts';
import { membersWithRole, roleOption, selectMembers, type CtlRole } from '../member-selection.ts';
import { nextHourExample, parseScheduled, type ScheduledTime } from '../scheduled-time.ts';

export const forceOption = () => new Option('--force', 'Do not ask for confirmation at any point');

interface SwitchoverOptions {
  leader?: string;
  candidate?: string;
  scheduled?: string;
  force?: boolean;
}

interface RestartOptions {
  role: CtlRole;
  any?: boolean;
  pending?: boolean;
  scheduled?: string;
  pgVersion?: string;
  timeout?: string;
  force?: boolean;
}

/** patronictl's `check_response`: `Failed: …` for a refusal, `Success: …` unless silent. */
export function checkResponse(
  context: CliContext,
  reply: GatewayReply,
  member: string,
  action: string,
  silentSuccess = false,
): boolean {
  if (reply.status >= 400) {
    context.out(
      `Failed: ${action} for member ${member}, status code=${reply.status}, (${reply.text})`,
    );
    return false;
  }
  if (!silentSuccess) context.out(`Success: ${action} for member ${member}`);
  return true;
}

/** The members an action applies to, after the table patronictl prints first. */
async function membersFor(
  context: CliContext,
  cluster: ClusterDocument,
  names: readonly string[],
  role: CtlRole,
): Promise<ClusterMember[]> {
  const selected = selectMembers(cluster, names, role);
  context.out(await membersTable(context, cluster));
  return selected;
}

/** patronictl's `confirm_members_action`. */
async function confirmMembers(
  context: CliContext,
  members: readonly ClusterMember[],
  force: boolean,
  action: string,
  scheduled?: ScheduledTime,
  pending?: boolean,
): Promise<void> {
  if (force) return;
  const names = members.map((member) => member.name).join(', ');
  if (scheduled) {
    const question = pending
      ? 'The nodes needing a restart will be identified at the scheduled time, and might be different from the ones showing pending restart right now. Is this fine?'
      : `Are you sure you want to schedule ${action} of members ${names} at ${scheduled.text}?`;
    if (!(await context.prompts.confirm(question)))
      throw new CliFailure(`Aborted scheduled ${action}`);
  } else if (
    !(await context.prompts.confirm(`Are you sure you want to ${action} members ${names}?`))
  )
    throw new CliFailure(`Aborted ${action}`);
}

function send(
  context: CliContext,
  member: ClusterMember,
  method: 'POST' | 'DELETE' | 'GET',
  path: string,
  body?: unknown,
): Promise<GatewayReply> {
  return context.client.request(method, path, body, memberBaseUrl(member));
}

async function switchoverOrFailover(
  action: 'switchover' | 'failover',
  clusterName: string | undefined,
  options: SwitchoverOptions,
  command: Command,
): Promise<void> {
  const context = await cliContext(command);
  const force = options.force === true;
  const cluster = await fetchCluster(context, clusterName);
  const name = cluster.scope;
  context.out('Current cluster topology');
  context.out(await membersTable(context, cluster));
  const leader = leaderOf(cluster)?.name;
  let fromLeader = options.leader;
  if (action === 'switchover') {
    if (!leader) throw new CliFailure('This cluster has no leader');
    if (fromLeader === undefined) {
      const standby = leaderOf(cluster)?.role === 'standby_leader';
      fromLeader = force
        ? leader
        : await context.prompts.ask(standby ? 'Standby Leader' : 'Primary', leader);
    }
    if (fromLeader !== leader)
      throw new CliFailure(`Member ${fromLeader} is not the leader of cluster ${name}`);
  }
  const listed = cluster.members.map((member) => ({
    name: member.name,
    role: member.role,
    noFailover: member.tags?.['nofailover'] === true,
  }));
  const candidates = offeredCandidates(action, listed, leader);
  if (candidates.length === 0) throw new CliFailure(`No candidates found to ${action} to`);
  let candidate = options.candidate;
  if (candidate === undefined && !force)
    candidate = await context.prompts.ask(
      `Candidate [${candidates.map((item) => `'${item}'`).join(', ')}]`,
      '',
    );
  if (action === 'failover' && !candidate)
    throw new CliFailure('Failover could be performed only to a specific candidate');
  if (candidate && !candidates.includes(candidate)) {
    if (candidate === leader)
      throw new CliFailure(`Member ${candidate} is already the leader of cluster ${name}`);
    if (offeredCandidates('failover', listed, leader).includes(candidate))
      throw new CliFailure('candidate name does not match with sync_standby');
    throw new CliFailure(
      `Member ${candidate} does not exist in cluster ${name} or is tagged as nofailover`,
    );
  }
  const syncStandbys = cluster.members.filter(
    (member) => member.role === 'sync_standby' || member.role === 'quorum_standby',
  );
  if (
    !force &&
    action === 'failover' &&
    syncStandbys.length > 0 &&
    !syncStandbys.some((member) => member.name === candidate) &&
    !(await context.prompts.confirm(
      `Are you sure you want to failover to the asynchronous node ${candidate}?`,
    ))
  )
    throw new CliFailure(`Aborting ${action}`);
  let scheduled: ScheduledTime | undefined;
  if (action === 'switchover') {
    const when =
      options.scheduled ??
      (force
        ? undefined
        : await context.prompts.ask(
            `When should the switchover take place (e.g. ${nextHourExample()} ) `,
            'now',
          ));
    scheduled = parseScheduled(when);
    if (scheduled && cluster.pause)
      throw new CliFailure("Can't schedule switchover in the paused state");
  }
  if (!force) {
    const demoting = leader ? `, demoting current leader ${leader}` : '';
    const question = scheduled
      ? `Are you sure you want to schedule switchover of cluster ${name} at ${scheduled.iso}${demoting}?`
      : `Are you sure you want to ${action} cluster ${name}${demoting}?`;
    if (!(await context.prompts.confirm(question)))
      throw new CliFailure(`Aborting ${scheduled ? 'scheduled ' : ''}${action}`);
  }
  const body = {
    candidate: candidate || undefined,
    ...(action === 'switchover' ? { leader: fromLeader } : {}),
    ...(scheduled ? { scheduled_at: scheduled.iso } : {}),
  };
  const reply = await context.client.request('POST', `/${action}`, body);
  if (reply.status !== 200 && reply.status !== 202) {
    const result = reply.text.toLowerCase().includes('status unknown')
      ? 'result unknown'
      : 'failed';
    const title = action.charAt(0).toUpperCase() + action.slice(1);
    context.out(`${title} ${result}, details: ${reply.status}, ${reply.text}`);
    return;
  }
  context.out(`${localTimestamp()} ${reply.text}`);
  context.out(await membersTable(context, await fetchCluster(context, clusterName)));
}

async function restart(
  clusterName: string,
  names: string[],
  options: RestartOptions,
  command: Command,
): Promise<void> {
  const context = await cliContext(command);
  const force = options.force === true;
  const cluster = await fetchCluster(context, clusterName);
  let members = await membersFor(context, cluster, names, options.role);
  const when =
    options.scheduled ??
    (force
      ? undefined
      : await context.prompts.ask(
          `When should the restart take place (e.g. ${nextHourExample()}) `,
          'now',
        ));
  const scheduled = parseScheduled(when);
  const content: Record<string, unknown> = {};
  if (options.pending) {
    content['restart_pending'] = true;
    // A scheduled restart finds the members needing it at its time; they may differ by then.
    if (!scheduled) members = members.filter((member) => member.pending_restart === true);
  }
  if (options.any && members.length > 1)
    members = members.slice(Math.floor(Math.random() * members.length)).slice(0, 1);
  await confirmMembers(context, members, force, 'restart', scheduled, options.pending);
  const version =
    options.pgVersion ??
    (force
      ? undefined
      : await context.prompts.ask(
          'Restart if the PostgreSQL version is less than provided (e.g. 9.5.2) ',
          '',
        ));
  if (version) {
    const problem = postgresVersionProblem(version);
    if (problem) throw new CliFailure(problem);
    content['postgres_version'] = version;
  }
  if (scheduled) {
    if (cluster.pause) throw new CliFailure("Can't schedule restart in the paused state");
    content['schedule'] = scheduled.iso;
  }
  if (options.timeout !== undefined) content['timeout'] = options.timeout;
  for (const member of members) {
    if (scheduled && force && member.scheduled_restart) {
      const flushed = await send(context, member, 'DELETE', '/restart');
      checkResponse(context, flushed, member.name, 'flush scheduled restart', true);
    }
    const reply = await send(context, member, 'POST', '/restart', content);
    if (reply.status === 200) context.out(`Success: restart on member ${member.name}`);
    else if (reply.status === 202)
      context.out(`Success: restart scheduled on member ${member.name}`);
    else if (reply.status === 409)
      context.out(`Failed: another restart is already scheduled on member ${member.name}`);
    else
      context.out(
        `Failed: restart for member ${member.name}, status code=${reply.status}, (${reply.text})`,
      );
  }
}

async function reload(
  clusterName: string,
  names: string[],
  options: { role: CtlRole; force?: boolean },
  command: Command,
): Promise<void> {
  const context = await cliContext(command);
  const cluster = await fetchCluster(context, clusterName);
  const members = await membersFor(context, cluster, names, options.role);
  await confirmMembers(context, members, options.force === true, 'reload');
  let loopWait: unknown;
  for (const member of members) {
    const reply = await send(context, member, 'POST', '/reload');
    if (reply.status === 200) context.out(`No changes to apply on member ${member.name}`);
    else if (reply.status === 202) {
      loopWait ??=
        (await context.client.getJson<{ loop_wait?: number }>('/config')).loop_wait ?? 10;
      context.out(
        `Reload request received for member ${member.name} and will be processed within ${String(loopWait)} seconds`,
      );
    } else
      context.out(
        `Failed: reload for member ${member.name}, status code=${reply.status}, (${reply.text})`,
      );
  }
}

async function reinit(
  clusterName: string,
  names: string[],
  options: { fromLeader?: boolean; wait?: boolean; force?: boolean },
  command: Command,
): Promise<void> {
  const context = await cliContext(command);
  const force = options.force === true;
  const cluster = await fetchCluster(context, clusterName);
  const replicas = membersWithRole(cluster, 'replica');
  if (names.length === 0 && replicas.length === 0)
    throw new CliFailure(`${cluster.scope} cluster doesn't have any members`);
  context.out(await membersTable(context, cluster));
  let chosen = names.length > 0 ? selectMembers(cluster, names, 'replica') : [];
  if (names.length === 0 && !force) {
    const answer = await context.prompts.ask(
      `Which member do you want to reinitialize [${replicas.map((member) => member.name).join(', ')}]?`,
      '',
    );
    const member = replicas.find((candidate) => candidate.name === answer);
    if (!member) throw new CliFailure(`${answer} is not a member of cluster`);
    chosen = [member];
  }
  await confirmMembers(context, chosen, force, 'reinitialize');
  const waiting: ClusterMember[] = [];
  for (const member of chosen) {
    const body = { force, from_leader: options.fromLeader === true };
    for (;;) {
      const reply = await send(context, member, 'POST', '/reinitialize', body);
      const started = checkResponse(context, reply, member.name, 'reinitialize');
      if (
        !started &&
        reply.text.endsWith(' already in progress') &&
        !body.force &&
        (await context.prompts.confirm('Do you want to cancel it and reinitialize anyway?'))
      ) {
        body.force = true;
        continue;
      }
      if (started && options.wait) waiting.push(member);
      break;
    }
  }
  await waitForReinitialize(context, waiting);
}

async function waitForReinitialize(context: CliContext, members: ClusterMember[]): Promise<void> {
  let shown = '';
  while (members.length > 0) {
    const names = members.map((member) => member.name).join(', ');
    if (names !== shown) context.out(`Waiting for reinitialize to complete on: ${names}`);
    shown = names;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    for (const member of [...members]) {
      const reply = await send(context, member, 'GET', '/patroni').catch(() => undefined);
      let state: unknown;
      try {
        state = reply ? (JSON.parse(reply.text) as { state?: unknown }).state : undefined;
      } catch {
        state = undefined;
      }
      if (reply && state !== 'creating replica') {
        context.out(`Reinitialize is completed on: ${member.name}`);
        members.splice(members.indexOf(member), 1);
      }
    }
  }
}

async function flush(
  clusterName: string,
  rest: string[],
  options: { role: CtlRole; force?: boolean },
  command: Command,
): Promise<void> {
  const target = rest.at(-1);
  if (target !== 'restart' && target !== 'switchover')
    command.error(
      `Invalid value for '{restart|switchover}': '${target}' is not one of 'restart', 'switchover'.`,
      { exitCode: ExitCode.usage },
    );
  const context = await cliContext(command);
  const cluster = await fetchCluster(context, clusterName);
  if (target === 'restart') {
    const members = await membersFor(context, cluster, rest.slice(0, -1), options.role);
    await confirmMembers(context, members, options.force === true, 'flush');
    for (const member of members) {
      if (member.scheduled_restart) {
        const reply = await send(context, member, 'DELETE', '/restart');
        checkResponse(context, reply, member.name, 'flush scheduled restart');
      } else context.out(`No scheduled restart for member ${member.name}`);
    }
    return;
  }
  if (!cluster.scheduled_switchover) {
    context.out('No pending scheduled switchover');
    return;
  }
  const reply = await context.client.request('DELETE', '/switchover');
  if (reply.status === 200 || reply.status === 404)
    context.out(`${reply.status === 200 ? 'Success' : 'Failed'}: ${reply.text}`);
  else context.out(`Failed: status_code=${reply.status}, (${reply.text})`);
}

/** switchover and failover (cluster-wide); restart, reload, reinit and flush (on each member). */
export function registerActionCommands(program: Command): void {
  program
    .command('switchover')
    .description('Switchover to a replica')
    .argument('[CLUSTER_NAME]')
    .option('--leader <name>', 'The name of the current leader')
    .option('--primary <name>', 'The name of the current leader (alias of --leader)')
    .addOption(new Option('--master <name>', "patronictl 3's --primary").hideHelp())
    .option('--candidate <name>', 'The name of the candidate')
    .option(
      '--scheduled <timestamp>',
      'Timestamp of a scheduled switchover in unambiguous format (e.g. ISO 8601)',
    )
    .addOption(forceOption())
    .action(
      (
        clusterName: string | undefined,
        options: SwitchoverOptions & { master?: string; primary?: string },
        command: Command,
      ) =>
        switchoverOrFailover(
          'switchover',
          clusterName,
          { ...options, leader: options.leader ?? options.primary ?? options.master },
          command,
        ),
    );

  program
    .command('failover')
    .description('Failover to a replica')
    .argument('[CLUSTER_NAME]')
    .option('--candidate <name>', 'The name of the candidate')
    .addOption(forceOption())
    .action((clusterName: string | undefined, options: SwitchoverOptions, command: Command) =>
      switchoverOrFailover('failover', clusterName, options, command),
    );

  program
    .command('restart')
    .description('Restart cluster member')
    .argument('<CLUSTER_NAME>')
    .argument('[MEMBER_NAMES...]')
    .addOption(roleOption('Restart only members with this role', 'any'))
    .option('--any', 'Restart a single member only')
    .option(
      '--scheduled <timestamp>',
      'Timestamp of a scheduled restart in unambiguous format (e.g. ISO 8601)',
    )
    .option(
      '--pg-version <version>',
      'Restart if the PostgreSQL version is less than provided (e.g. 9.5.2)',
    )
    .option('--pending', 'Restart if pending')
    .option(
      '--timeout <seconds>',
      'Return error and fail over if necessary when restarting takes longer than this.',
    )
    .addOption(forceOption())
    .action(restart);

  program
    .command('reload')
    .description('Reload cluster member configuration')
    .argument('<CLUSTER_NAME>')
    .argument('[MEMBER_NAMES...]')
    .addOption(roleOption('Reload only members with this role', 'any'))
    .addOption(forceOption())
    .action(reload);

  program
    .command('reinit')
    .description('Reinitialize cluster member')
    .argument('<CLUSTER_NAME>')
    .argument('[MEMBER_NAMES...]')
    .addOption(forceOption())
    .option('--from-leader', 'Get basebackup from leader')
    .option('--wait', 'Wait until reinitialization completes')
    .action(reinit);

  program
    .command('flush')
    .description('Discard scheduled events')
    .usage('[OPTIONS] CLUSTER_NAME [MEMBER_NAMES]... {restart|switchover}')
    .argument('<CLUSTER_NAME>')
    .argument('<MEMBER_NAMES_AND_TARGET...>')
    .addOption(roleOption('Flush only members with this role', 'any'))
    .addOption(forceOption())
    .action(flush);
}
