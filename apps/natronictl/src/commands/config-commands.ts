import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { existsSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { parse } from 'yaml';
import { patchConfig } from '../../../../libs/domain/src/index.ts';
import {
  cliContext,
  collect,
  fetchCluster,
  localTimestamp,
  memberBaseUrl,
  membersTable,
  type CliContext,
} from '../cli-context.ts';
import {
  mergePatchBetween,
  mergePatches,
  patchFromDocument,
  patchFromSetting,
  sameConfig,
  type ConfigObject,
} from '../config-patch.ts';
import { CliFailure } from '../exit-code.ts';
import { leaderOf, pythonYaml, renderDocument, unifiedDiff } from '../format/index.ts';
import { refusal } from '../gateway-client.ts';
import { forceOption } from './action-commands.ts';

interface EditOptions {
  quiet?: boolean;
  set: string[];
  pg: string[];
  apply?: string;
  replace?: string;
  force?: boolean;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function readConfigFile(path: string): Promise<ConfigObject> {
  let text: string;
  try {
    text = path === '-' ? await readStdin() : await readFile(path, 'utf8');
  } catch (error) {
    throw new CliFailure(`cannot read ${path}: ${(error as Error).message}`);
  }
  return patchFromDocument(text, path === '-' ? 'stdin' : path);
}

function onPath(program: string): string | undefined {
  return (process.env['PATH'] ?? '')
    .split(delimiter)
    .map((dir) => join(dir, program))
    .find((candidate) => existsSync(candidate));
}

/** patronictl's `invoke_editor`: $EDITOR, else `editor` or `vi`, on a temporary YAML file. */
async function edited(
  before: string,
  scope: string,
): Promise<{ text: string; config: ConfigObject }> {
  const editor = process.env['EDITOR'] || onPath('editor') || onPath('vi');
  if (!editor)
    throw new CliFailure('EDITOR environment variable is not set. editor or vi are not available');
  const dir = await mkdtemp(join(tmpdir(), `${scope.replace(/\//g, '_')}-config-`));
  const file = join(dir, 'config.yaml');
  try {
    await writeFile(file, before);
    const run = spawnSync(editor, [file], { stdio: 'inherit' });
    if (run.error) throw new CliFailure(`cannot run ${editor}: ${run.error.message}`);
    if (run.status !== 0) throw new CliFailure(`Editor exited with return code ${run.status ?? 1}`);
    const text = await readFile(file, 'utf8');
    let config: unknown;
    try {
      // PyYAML, which patronictl reads with, lets a repeated key override the earlier one.
      config = parse(text, { uniqueKeys: false });
    } catch (error) {
      throw new CliFailure(
        `the edited configuration is not valid YAML: ${(error as Error).message}`,
      );
    }
    return { text, config: (config ?? {}) as ConfigObject };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function editConfig(
  clusterName: string | undefined,
  options: EditOptions,
  command: Command,
): Promise<void> {
  const context = await cliContext(command);
  const cluster = await fetchCluster(context, clusterName);
  const current = await context.client.getJson<ConfigObject>('/config');
  if (Object.keys(current).length === 0)
    throw new CliFailure(`The config key does not exist in the cluster ${cluster.scope}`);
  const before = pythonYaml(current) + '\n';
  let changed = current;
  let after: string | undefined;
  if (options.replace !== undefined) {
    changed = patchConfig({}, await readConfigFile(options.replace)).config as ConfigObject;
    after = pythonYaml(changed);
  }
  if (options.apply !== undefined) {
    changed = patchConfig(changed, await readConfigFile(options.apply)).config as ConfigObject;
    after = pythonYaml(changed);
  }
  if (options.set.length > 0 || options.pg.length > 0) {
    let patch: ConfigObject = {};
    for (const setting of options.set) patch = mergePatches(patch, patchFromSetting(setting));
    for (const parameter of options.pg)
      patch = mergePatches(
        patch,
        patchFromSetting(`postgresql.parameters.${parameter.trimStart()}`),
      );
    changed = patchConfig(changed, patch).config as ConfigObject;
    after = pythonYaml(changed);
  }
  if (after === undefined) ({ text: after, config: changed } = await edited(before, cluster.scope));
  if (sameConfig(current, changed)) {
    if (!options.quiet) context.out('Not changed');
    return;
  }
  if (!options.quiet) for (const line of unifiedDiff(before, after)) context.out(line);
  if ((options.apply === '-' || options.replace === '-') && !options.force) {
    context.out('Use --force option to apply changes');
    return;
  }
  if (!options.force && !(await context.prompts.confirm('Apply these changes?'))) return;
  const reply =
    options.replace !== undefined
      ? await context.client.request('PUT', '/config', changed)
      : await context.client.request('PATCH', '/config', mergePatchBetween(current, changed));
  if (reply.status !== 200)
    throw refusal(`${options.replace !== undefined ? 'PUT' : 'PATCH'} /config`, reply);
  context.out('Configuration changed');
}

/** Polls each member's `/patroni` until all report the pause state asked for, up to loop_wait + 1 s. */
async function waitForPause(context: CliContext, clusterName: string | undefined, paused: boolean) {
  context.out(
    `'${paused ? 'pause' : 'resume'}' request sent, waiting until it is recognized by all nodes`,
  );
  const loopWait =
    (await context.client.getJson<{ loop_wait?: number }>('/config')).loop_wait ?? 10;
  const deadline = performance.now() + (loopWait + 1) * 1000;
  let remaining: string[];
  do {
    const cluster = await fetchCluster(context, clusterName);
    remaining = [];
    for (const member of cluster.members) {
      const reply = await context.client
        .request('GET', '/patroni', undefined, memberBaseUrl(member))
        .catch(() => undefined);
      const pause =
        reply?.status === 200 ? (JSON.parse(reply.text) as { pause?: boolean }).pause : undefined;
      if ((pause === true) !== paused) remaining.push(member.name);
    }
    if (remaining.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  } while (performance.now() < deadline);
  if (remaining.length > 0)
    context.out(
      `${remaining.join(', ')} members didn't recognized pause state after ${loopWait} seconds`,
    );
  else context.out(`Success: cluster management is ${paused ? 'paused' : 'resumed'}`);
}

function pauseCommand(program: Command, name: 'pause' | 'resume'): void {
  const pausing = name === 'pause';
  program
    .command(name)
    .description(pausing ? 'Disable auto failover' : 'Resume auto failover')
    .argument('[CLUSTER_NAME]')
    .option(
      '--wait',
      `Wait until ${pausing ? 'pause is applied on' : 'pause is cleared on'} all nodes`,
    )
    .action(
      async (clusterName: string | undefined, options: { wait?: boolean }, command: Command) => {
        const context = await cliContext(command);
        const cluster = await fetchCluster(context, clusterName);
        if ((cluster.pause === true) === pausing)
          throw new CliFailure(`Cluster is ${pausing ? 'already' : 'not'} paused`);
        const reply = await context.client.request('PATCH', '/config', {
          pause: pausing ? true : null,
        });
        if (reply.status !== 200) {
          context.out(
            `Failed: ${name} cluster management status code=${reply.status}, (${reply.text})`,
          );
          return;
        }
        if (options.wait) await waitForPause(context, clusterName, pausing);
        else context.out(`Success: cluster management is ${pausing ? 'paused' : 'resumed'}`);
      },
    );
}

/** patronictl's `change_cluster_role`: demote-cluster and promote-cluster. */
async function changeClusterRole(
  clusterName: string | undefined,
  force: boolean,
  standbyConfig: Record<string, string | number> | null,
  command: Command,
): Promise<void> {
  const demote = standbyConfig !== null;
  const verb = demote ? 'demot' : 'promot';
  const targetRole = demote ? 'standby_leader' : 'leader';
  const context = await cliContext(command);
  const cluster = await fetchCluster(context, clusterName);
  const leader = leaderOf(cluster);
  if (!leader) throw new CliFailure(`Cluster has no leader, ${verb}ion is not possible`);
  if (leader.role === targetRole) throw new CliFailure('Cluster is already in the required state');
  context.out('Current cluster topology');
  context.out(await membersTable(context, cluster));
  if (
    !force &&
    !(await context.prompts.confirm(`Are you sure you want to ${verb}e ${cluster.scope} cluster?`))
  )
    throw new CliFailure(`Aborted cluster ${verb}ion`);
  const reply = await context.client.request('PATCH', '/config', {
    standby_cluster: standbyConfig,
  });
  if (reply.status !== 200)
    throw new CliFailure(
      `Failed to ${verb}e ${cluster.scope} cluster: /config PATCH status code=${reply.status}, (${reply.text})`,
    );
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const now = await fetchCluster(context, clusterName);
    const current = leaderOf(now);
    const stamp = localTimestamp(0);
    if (current?.role === targetRole && current.state === 'running') {
      context.out(`${stamp} cluster is successfully ${verb}ed`);
      context.out(await membersTable(context, now));
      return;
    }
    context.out(
      `${stamp} cluster is unlocked: ${current ? 'False' : 'True'}, leader role: ${current?.role ?? 'None'}, leader state: ${current?.state ?? 'None'}`,
    );
  }
}

/** pause, resume, show-config, edit-config, demote-cluster and promote-cluster. */
export function registerConfigCommands(program: Command): void {
  pauseCommand(program, 'pause');
  pauseCommand(program, 'resume');

  program
    .command('show-config')
    .description('Show cluster configuration')
    .argument('[CLUSTER_NAME]')
    .addOption(
      new Option('-f, --format <format>', 'yaml (as patronictl) or json')
        .choices(['yaml', 'json'])
        .default('yaml'),
    )
    .action(
      async (
        clusterName: string | undefined,
        options: { format: 'yaml' | 'json' },
        command: Command,
      ) => {
        const context = await cliContext(command);
        await fetchCluster(context, clusterName);
        const config = await context.client.getJson<ConfigObject>('/config');
        context.out(
          options.format === 'json'
            ? JSON.stringify(config, null, 2)
            : renderDocument(config, 'yaml'),
        );
      },
    );

  program
    .command('edit-config')
    .description('Edit cluster configuration')
    .argument('[CLUSTER_NAME]')
    .option('-q, --quiet', 'Do not show changes')
    .option(
      '-s, --set <key=value>',
      'Set specific configuration value. Can be specified multiple times',
      collect,
      [],
    )
    .option(
      '-p, --pg <name=value>',
      'Set specific PostgreSQL parameter value. Shorthand for -s postgresql.parameters. Can be specified multiple times',
      collect,
      [],
    )
    .option('--apply <file>', 'Apply configuration from file. Use - for stdin.')
    .option(
      '--replace <file>',
      'Apply configuration from file, replacing existing configuration. Use - for stdin.',
    )
    .addOption(forceOption())
    .action(editConfig);

  program
    .command('demote-cluster')
    .description('Demote cluster to a standby cluster')
    .argument('[CLUSTER_NAME]')
    .addOption(forceOption())
    .option('--host <host>', 'Address of the remote node')
    .option('--port <port>', 'Port of the remote node', (value: string) =>
      Number.parseInt(value, 10),
    )
    .option('--restore-command <command>', 'Command to restore WAL records from the remote primary')
    .option(
      '--primary-slot-name <name>',
      'Name of the slot on the remote node to use for replication',
    )
    .action(
      async (
        clusterName: string | undefined,
        options: {
          force?: boolean;
          host?: string;
          port?: number;
          restoreCommand?: string;
          primarySlotName?: string;
        },
        command: Command,
      ) => {
        if (!options.host && !options.port && !options.restoreCommand)
          throw new CliFailure('At least --host, --port or --restore-command should be specified');
        const standby: Record<string, string | number> = {};
        if (options.host) standby['host'] = options.host;
        if (options.port) standby['port'] = options.port;
        if (options.primarySlotName) standby['primary_slot_name'] = options.primarySlotName;
        if (options.restoreCommand) standby['restore_command'] = options.restoreCommand;
        await changeClusterRole(clusterName, options.force === true, standby, command);
      },
    );

  program
    .command('promote-cluster')
    .description('Promote cluster, make it run standalone')
    .argument('[CLUSTER_NAME]')
    .addOption(forceOption())
    .action((clusterName: string | undefined, options: { force?: boolean }, command: Command) =>
      changeClusterRole(clusterName, options.force === true, null, command),
    );
}
