import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { patchConfig } from '../../../../libs/domain/src/index.ts';
import { cliContext, collect, fetchCluster, type CliContext } from '../cli-context.ts';
import {
  configChanges,
  describeChanges,
  mergePatches,
  patchFromDocument,
  patchFromSetting,
  type ConfigObject,
} from '../config-patch.ts';
import { confirm } from '../confirmation.ts';
import { CliFailure, ExitCode } from '../exit-code.ts';
import { renderDocument } from '../format/index.ts';
import { refusal } from '../gateway-client.ts';

interface EditOptions {
  set: string[];
  pg: string[];
  apply?: string;
  force?: boolean;
}

async function patchConfigKey(context: CliContext, patch: ConfigObject): Promise<ConfigObject> {
  const reply = await context.client.request('PATCH', '/config', patch);
  if (reply.status !== 200) throw refusal('PATCH /config', reply);
  return JSON.parse(reply.text) as ConfigObject;
}

async function readPatchFile(path: string): Promise<ConfigObject> {
  try {
    const text = path === '-' ? await readStdin() : await readFile(path, 'utf8');
    return patchFromDocument(text, path === '-' ? 'stdin' : path);
  } catch (error) {
    if (error instanceof CliFailure) throw error;
    throw new CliFailure(ExitCode.usage, `cannot read ${path}: ${(error as Error).message}`);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function editPatch(options: EditOptions): Promise<ConfigObject> {
  let patch: ConfigObject = options.apply === undefined ? {} : await readPatchFile(options.apply);
  for (const setting of options.set) patch = mergePatches(patch, patchFromSetting(setting));
  for (const parameter of options.pg)
    patch = mergePatches(patch, patchFromSetting(`postgresql.parameters.${parameter}`));
  return patch;
}

function pauseCommand(program: Command, name: 'pause' | 'resume'): void {
  const pausing = name === 'pause';
  program
    .command(name)
    .description(
      pausing
        ? 'stop automatic failover: maintenance mode (PATCH /config {"pause": true})'
        : 'end maintenance mode (PATCH /config {"pause": null})',
    )
    .action(async (_options: object, command: Command) => {
      const context = cliContext(command);
      const cluster = await fetchCluster(context);
      if ((cluster.pause === true) === pausing)
        throw new CliFailure(
          ExitCode.refused,
          pausing ? 'Cluster is already paused' : 'Cluster is not paused',
        );
      await patchConfigKey(context, { pause: pausing ? true : null });
      const message = `Success: cluster management is ${pausing ? 'paused' : 'resumed'}`;
      context.out(
        context.format === 'pretty'
          ? message
          : renderDocument({ paused: pausing, message }, context.format),
      );
    });
}

/** pause, resume, show-config and edit-config: the dynamic configuration in the `config` key. */
export function registerConfigCommands(program: Command): void {
  pauseCommand(program, 'pause');
  pauseCommand(program, 'resume');

  program
    .command('show-config')
    .description('the dynamic configuration (GET /config), YAML unless --format json')
    .action(async (_options: object, command: Command) => {
      const context = cliContext(command);
      const config = await context.client.getJson<ConfigObject>('/config');
      context.out(renderDocument(config, context.format === 'json' ? 'json' : 'yaml'));
    });

  program
    .command('edit-config')
    .description('change the dynamic configuration: --set, --pg and --apply merge into it')
    .option(
      '-s, --set <key=value>',
      'set a dotted key; the value is YAML, null deletes',
      collect,
      [],
    )
    .option('-p, --pg <name=value>', 'set postgresql.parameters.<name>', collect, [])
    .option('--apply <file>', 'merge a YAML or JSON patch file (- for stdin); null deletes a key')
    .option('--force', 'do not ask for confirmation')
    .action(async (options: EditOptions, command: Command) => {
      const context = cliContext(command);
      if (options.set.length === 0 && options.pg.length === 0 && options.apply === undefined)
        throw new CliFailure(
          ExitCode.usage,
          'nothing to change: give --set, --pg or --apply (there is no interactive editor)',
        );
      const patch = await editPatch(options);
      const current = await context.client.getJson<ConfigObject>('/config');
      const changes = configChanges(current, patchConfig(current, patch).config as ConfigObject);
      if (changes.length === 0) {
        context.out(
          context.format === 'pretty' ? 'Not changed' : renderDocument(current, context.format),
        );
        return;
      }
      if (context.format === 'pretty') context.out(describeChanges(changes).join('\n'));
      await confirm('Apply these changes?', options.force === true);
      const stored = await patchConfigKey(context, patch);
      context.out(
        context.format === 'pretty'
          ? 'Configuration changed'
          : renderDocument(stored, context.format),
      );
    });
}
