import type { Command } from 'commander';
import { cliContext, fetchCluster, memberBaseUrl } from '../cli-context.ts';
import { NATRONI_VERSION } from '../../../../libs/domain/src/index.ts';

/** Patroni's `format_pg_version`: 150008 → 15.8, 90624 → 9.6.24. */
export function postgresVersionText(version: number): string {
  if (version < 100000)
    return `${Math.floor(version / 10000)}.${Math.floor(version / 100) % 100}.${version % 100}`;
  return `${Math.floor(version / 10000)}.${version % 100}`;
}

/** version: natronictl's own, then each member's natroni and PostgreSQL versions. */
export function registerVersionCommand(program: Command): void {
  program
    .command('version')
    .description('Output version of natronictl command or a running natroni instance')
    .argument('[CLUSTER_NAME]')
    .argument('[MEMBER_NAMES...]')
    .action(
      async (
        clusterName: string | undefined,
        names: string[],
        _options: object,
        command: Command,
      ) => {
        process.stdout.write(`natronictl version ${NATRONI_VERSION}\n`);
        if (!clusterName) return;
        const context = await cliContext(command);
        context.out('');
        const cluster = await fetchCluster(context, clusterName);
        for (const member of [...cluster.members].sort((a, b) => a.name.localeCompare(b.name))) {
          if (!member.api_url || (names.length > 0 && !names.includes(member.name))) continue;
          try {
            const reply = await context.client.request(
              'GET',
              '/patroni',
              undefined,
              memberBaseUrl(member),
            );
            const data = JSON.parse(reply.text) as {
              patroni?: { version?: string };
              server_version?: number;
            };
            const postgres = data.server_version
              ? ` PostgreSQL ${postgresVersionText(data.server_version)}`
              : '';
            context.out(`${member.name}: natroni ${data.patroni?.version ?? 'unknown'}${postgres}`);
          } catch (error) {
            context.out(`${member.name}: failed to get version: ${(error as Error).message}`);
          }
        }
      },
    );
}
