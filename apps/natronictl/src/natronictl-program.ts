import { Command, Option } from 'commander';
import { positiveSeconds } from './cli-context.ts';
import { registerActionCommands } from './commands/action-commands.ts';
import { registerClusterCommands } from './commands/cluster-commands.ts';
import { registerConfigCommands } from './commands/config-commands.ts';
import { registerEventsCommand } from './commands/events-command.ts';
import { OUTPUT_FORMATS } from './format/index.ts';

/** natronictl's command line: patronictl's commands against the natroni gateway. */
export function natronictlProgram(): Command {
  const program = new Command('natronictl')
    .description("patronictl's commands for a natroni cluster, through its api-gateway")
    .addOption(
      new Option('--gateway <url>', "the gateway's cluster-wide listener")
        .env('NATRONI_GATEWAY_URL')
        .default('http://127.0.0.1:8080'),
    )
    .addOption(
      new Option('--username <name>', 'restapi user for unsafe requests').env(
        'NATRONI_RESTAPI_USERNAME',
      ),
    )
    .addOption(new Option('--password <password>').env('NATRONI_RESTAPI_PASSWORD'))
    .addOption(
      new Option('-f, --format <format>', 'output format')
        .choices(OUTPUT_FORMATS)
        .default('pretty'),
    )
    .addOption(
      new Option('--timeout <seconds>', 'bound on each HTTP request')
        .argParser(positiveSeconds)
        .default(60),
    )
    .showHelpAfterError('(natronictl --help lists the commands and options)')
    // Errors of the command line itself exit with 2 (see main.ts); set before the subcommands inherit it.
    .exitOverride();
  registerClusterCommands(program);
  registerActionCommands(program);
  registerConfigCommands(program);
  registerEventsCommand(program);
  return program;
}
