import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import pg from 'pg';
import { cliContext, fetchCluster, localTimestamp, type CliContext } from '../cli-context.ts';
import { CliFailure } from '../exit-code.ts';
import { OUTPUT_FORMATS, renderTabular, type ClusterMember } from '../format/index.ts';
import { anyMember, roleOption, type CtlRole } from '../member-selection.ts';
import { watchOptions, watching, type WatchOptions } from '../watch.ts';

interface QueryOptions extends WatchOptions {
  format: (typeof OUTPUT_FORMATS)[number];
  file?: string;
  password?: boolean;
  username?: string;
  role?: CtlRole;
  member?: string;
  delimiter: string;
  command?: string;
  dbname?: string;
}

/** Values as patronictl prints what psycopg returns: None, True/False, numbers and text. */
const TEXT_TYPES = {
  getTypeParser: (oid: number) => (value: string) =>
    oid === 16 ? (value === 't' ? 'True' : 'False') : value,
};

async function queryRows(
  context: CliContext,
  member: ClusterMember | undefined,
  role: CtlRole | undefined,
  options: QueryOptions,
  password: string | undefined,
  sql: string,
): Promise<{ header?: string[]; rows: (string | number)[][] }> {
  const unavailable = (message: string) => ({ rows: [[localTimestamp(0), message]] });
  if (!member || !member.host)
    return unavailable(
      options.member !== undefined
        ? `No connection to member ${options.member} is available`
        : role !== undefined
          ? `No connection to role '${role}' is available`
          : 'No connection is available',
    );
  const superuser = context.config.superuser;
  const client = new pg.Client({
    host: member.host,
    port: member.port ?? 5432,
    database: options.dbname ?? 'postgres',
    user: options.username ?? superuser?.username ?? process.env['PGUSER'] ?? 'postgres',
    ...(password !== undefined
      ? { password }
      : superuser?.password !== undefined
        ? { password: superuser.password }
        : {}),
    application_name: 'Patroni ctl',
    connectionTimeoutMillis: 5_000,
    types: TEXT_TYPES,
  });
  try {
    await client.connect();
    if (
      role === 'replica' ||
      role === 'standby' ||
      role === 'standby-leader' ||
      role === 'primary'
    ) {
      const recovery = await client.query<{ in_recovery: string }>(
        'SELECT pg_catalog.pg_is_in_recovery() AS in_recovery',
      );
      const inRecovery = recovery.rows[0]?.in_recovery !== 'False';
      if (inRecovery === (role === 'primary'))
        return unavailable(`No connection to role '${role}' is available`);
    }
    const result = await client.query({ text: sql, rowMode: 'array' });
    const last = Array.isArray(result) ? (result.at(-1) as pg.QueryResult) : result;
    return {
      ...(last.fields.length > 0 ? { header: last.fields.map((field) => field.name) } : {}),
      rows: (last.rows as unknown[][]).map((row) =>
        row.map((value) => (value === null ? 'None' : String(value))),
      ),
    };
  } catch (error) {
    const code = (error as { code?: string }).code;
    const message = (code ?? (error as Error).message).replace(/\n/g, ' ');
    return unavailable(`ERROR, SQLSTATE: ${message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** dsn and query: PostgreSQL of a member chosen by role or name, the leader by default. */
export function registerPostgresCommands(program: Command): void {
  program
    .command('dsn')
    .description('Generate a dsn for the provided member, defaults to a dsn of the leader')
    .addOption(roleOption('Give a dsn of any member with this role'))
    .option('-m, --member <name>', 'Generate a dsn for this member')
    .argument('[CLUSTER_NAME]')
    .action(
      async (
        clusterName: string | undefined,
        options: { role?: CtlRole; member?: string },
        command: Command,
      ) => {
        const context = await cliContext(command);
        const cluster = await fetchCluster(context, clusterName);
        const member = anyMember(cluster, options.role, options.member);
        if (!member?.host) throw new CliFailure('Can not find a suitable member');
        context.out(`host=${member.host} port=${member.port ?? 5432}`);
      },
    );

  const query = program
    .command('query')
    .description('Query a Patroni PostgreSQL member')
    .argument('[CLUSTER_NAME]')
    .addOption(
      new Option('--format <format>', 'Output format (pretty, tsv, json, yaml)')
        .choices(OUTPUT_FORMATS)
        .default('tsv'),
    )
    .option('-f, --file <file>', 'Execute the SQL commands from this file')
    .option('--password', 'force password prompt')
    .option('-U, --username <name>', 'database user name');
  for (const option of watchOptions()) query.addOption(option);
  query
    .addOption(roleOption('The role of the query'))
    .option('-m, --member <name>', 'Query a specific member')
    .option('--delimiter <text>', 'The column delimiter', '\t')
    .option('-c, --command <sql>', 'The SQL commands to execute')
    .option('-d, --dbname <name>', 'database name to connect to')
    .action(async (clusterName: string | undefined, options: QueryOptions, command: Command) => {
      let sql: string;
      if (options.file !== undefined) {
        if (options.command !== undefined)
          throw new CliFailure('--file and --command are mutually exclusive options');
        sql = await readFile(options.file, 'utf8').catch((error: Error) => {
          throw new CliFailure(`cannot read ${options.file}: ${error.message}`);
        });
      } else {
        if (options.command === undefined)
          throw new CliFailure('You need to specify either --command or --file');
        sql = options.command;
      }
      const context = await cliContext(command);
      const password = options.password ? await context.prompts.ask('Password') : undefined;
      const cluster = await fetchCluster(context, clusterName);
      const member = anyMember(cluster, options.role, options.member);
      await watching(
        options,
        async () => {
          const { header, rows } = await queryRows(
            context,
            member,
            options.role,
            options,
            password,
            sql,
          );
          context.out(
            renderTabular({ columns: header ?? [], rows }, options.format, options.delimiter),
          );
        },
        false,
      );
    });
}
