import { InvalidArgumentError, type Command } from 'commander';
import { GatewayClient } from './gateway-client.ts';
import type { ClusterDocument, ClusterMember, OutputFormat } from './format/index.ts';
import { CliFailure, ExitCode } from './exit-code.ts';

/** The options every command has (natronictl-program.ts). */
export interface GlobalOptions {
  gateway: string;
  username?: string;
  password?: string;
  format: OutputFormat;
  timeout: number;
}

export interface CliContext {
  readonly client: GatewayClient;
  readonly format: OutputFormat;
  readonly out: (text: string) => void;
}

export function cliContext(command: Command): CliContext {
  const options = command.optsWithGlobals<GlobalOptions>();
  const { username, password } = options;
  if ((username === undefined) !== (password === undefined))
    throw new CliFailure(ExitCode.usage, '--username and --password go together');
  return {
    client: new GatewayClient({
      baseUrl: options.gateway,
      timeoutMs: options.timeout * 1000,
      ...(username !== undefined && password !== undefined ? { auth: { username, password } } : {}),
    }),
    format: options.format,
    out: (text) => process.stdout.write(`${text}\n`),
  };
}

export function fetchCluster(context: CliContext): Promise<ClusterDocument> {
  return context.client.getJson<ClusterDocument>('/cluster');
}

export function memberNamed(cluster: ClusterDocument, name: string): ClusterMember {
  const member = cluster.members.find((candidate) => candidate.name === name);
  if (!member)
    throw new CliFailure(ExitCode.refused, `${name} is not a member of cluster ${cluster.scope}`);
  return member;
}

/** The member's own listener on the gateway, from its api_url (`http://host:port/patroni`). */
export function memberBaseUrl(member: ClusterMember): string {
  if (!member.api_url)
    throw new CliFailure(ExitCode.refused, `member ${member.name} publishes no api_url`);
  return new URL(member.api_url).origin;
}

/** Parses a positive number of seconds for commander. */
export function positiveSeconds(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new InvalidArgumentError(`${JSON.stringify(text)} is not a positive number of seconds`);
  return value;
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
