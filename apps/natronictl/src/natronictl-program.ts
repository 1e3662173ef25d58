import { Command, Option } from 'commander';
import { positiveSeconds } from './cli-context.ts';
import { registerActionCommands } from './commands/action-commands.ts';
import { registerClusterCommands } from './commands/cluster-commands.ts';
import { registerConfigCommands } from './commands/config-commands.ts';
import { registerEventsCommand } from './commands/events-command.ts';
import { registerPostgresCommands } from './commands/postgres-commands.ts';
import { registerRemoveCommand } from './commands/remove-command.ts';
import { registerVersionCommand } from './commands/version-command.ts';
import { clickStyleUsageErrors } from './usage-errors.ts';

/** natronictl's command line: patronictl 4's commands and options against the natroni gateway. */
export function natronictlProgram(): Command {
  const program = new Command('natronictl')
    .description("patronictl's commands for a natroni cluster, through its api-gateway")
    .addOption(
      new Option(
        '-c, --config-file <path>',
        'Configuration file (Patroni style: restapi, ctl)',
      ).env('PATRONICTL_CONFIG_FILE'),
    )
    .addOption(
      new Option(
        '-d, --dcs-url <url>',
        "patronictl's DCS address: refused, see cli-context.ts",
      ).hideHelp(),
    )
    .option('-k, --insecure', 'Allow connections to SSL sites without certs')
    .addOption(
      new Option(
        '--gateway <url>',
        "the gateway's listener (default: the configuration file's restapi, else http://127.0.0.1:8080)",
      ).env('NATRONI_GATEWAY_URL'),
    )
    .addOption(
      new Option('--username <name>', 'restapi user for unsafe requests').env(
        'NATRONI_RESTAPI_USERNAME',
      ),
    )
    .addOption(new Option('--password <password>').env('NATRONI_RESTAPI_PASSWORD'))
    .addOption(
      new Option('--timeout <seconds>', 'bound on each HTTP request')
        .argParser(positiveSeconds)
        .default(60),
    )
    // As with patronictl, the options above go before the command; each command has its own after it.
    .enablePositionalOptions()
    // Errors of the command line itself exit with 2 (see main.ts); set before the subcommands inherit it.
    .exitOverride();
  registerClusterCommands(program);
  registerActionCommands(program);
  registerConfigCommands(program);
  registerPostgresCommands(program);
  registerRemoveCommand(program);
  registerVersionCommand(program);
  registerEventsCommand(program);
  clickStyleUsageErrors(program);
  return program;
}
