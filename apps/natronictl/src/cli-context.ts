import { InvalidArgumentError, type Command } from 'commander';
import { loadCtlConfig, type CtlConfig } from './ctl-config.ts';
import { CliFailure } from './exit-code.ts';
import {
  clusterFooter,
  leaderOf,
  memberListing,
  renderTabular,
  type ClusterDocument,
  type ClusterMember,
  type OutputFormat,
} from './format/index.ts';
import { GatewayClient } from './gateway-client.ts';
import { Prompts } from './prompts.ts';

/** The options given before the command (natronictl-program.ts). */
export interface GlobalOptions {
  configFile?: string;
  dcsUrl?: string;
  insecure?: boolean;
  gateway?: string;
  username?: string;
  password?: string;
  timeout: number;
}

export const DEFAULT_GATEWAY_URL = 'http://127.0.0.1:8080';

export interface CliContext {
  readonly client: GatewayClient;
  readonly config: CtlConfig;
  readonly prompts: Prompts;
  readonly out: (text: string) => void;
}

/** One set of prompts per process: they share stdin's lines. */
export const prompts = new Prompts((text) => process.stdout.write(text));

/**
 * The gateway to talk to: `--gateway` (or NATRONI_GATEWAY_URL), else the configuration file's
 * `restapi`, else the local default; credentials likewise from the options, else the file.
 */
export async function cliContext(command: Command): Promise<CliContext> {
  const options = command.optsWithGlobals<GlobalOptions>();
  // patronictl can talk to the DCS itself; natronictl reaches NATS only through the gateway.
  if (options.dcsUrl !== undefined)
    throw new CliFailure(
      `natronictl does not connect to a DCS (--dcs-url ${options.dcsUrl}): name the gateway with --gateway URL or -c FILE`,
    );
  const config = await loadCtlConfig(options.configFile);
  const { username, password } = options;
  if ((username === undefined) !== (password === undefined))
    throw new CliFailure('--username and --password go together');
  const auth =
    username !== undefined && password !== undefined ? { username, password } : config.auth;
  if ((options.insecure || config.insecure) && process.env['NODE_TLS_REJECT_UNAUTHORIZED'] !== '0')
    process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = '0';
  return {
    client: new GatewayClient({
      baseUrl: options.gateway ?? config.gatewayUrl ?? DEFAULT_GATEWAY_URL,
      timeoutMs: options.timeout * 1000,
      ...(auth === undefined ? {} : { auth }),
    }),
    config,
    prompts,
    out: (text) => process.stdout.write(`${text}\n`),
  };
}

/**
 * `GET /cluster`, checked against the CLUSTER_NAME given (or the configuration's scope): a gateway
 * serves one cluster, so another name is an error rather than an empty listing.
 */
export async function fetchCluster(
  context: CliContext,
  clusterName?: string,
): Promise<ClusterDocument> {
  const cluster = await context.client.getJson<ClusterDocument>('/cluster');
  const wanted = clusterName ?? context.config.scope;
  if (wanted !== undefined && wanted !== cluster.scope)
    throw new CliFailure(`this gateway serves cluster ${cluster.scope}, not ${wanted}`);
  return cluster;
}

/** The system identifier for `list`'s title, from the leader's (else any member's) `/patroni`. */
export async function systemIdOf(
  context: CliContext,
  cluster: ClusterDocument,
): Promise<string | undefined> {
  const leader = leaderOf(cluster);
  const candidates = [...(leader ? [leader] : []), ...cluster.members.filter((m) => m !== leader)];
  for (const member of candidates) {
    if (!member.api_url) continue;
    const reply = await context.client
      .request('GET', '/patroni', undefined, new URL(member.api_url).origin)
      .catch(() => undefined);
    if (reply?.status !== 200) continue;
    try {
      const id = (JSON.parse(reply.text) as { database_system_identifier?: string })
        .database_system_identifier;
      if (id) return id;
    } catch {
      // a member that answers something else than JSON is skipped
    }
  }
  return undefined;
}

/** patronictl's `output_members` in its pretty layout: the table and the lines under it. */
export async function membersTable(context: CliContext, cluster: ClusterDocument): Promise<string> {
  const listing = memberListing(cluster, 'pretty', {
    systemId: await systemIdOf(context, cluster),
  });
  return [renderTabular(listing, 'pretty'), ...clusterFooter(cluster)].join('\n');
}

/** The member's own listener on the gateway, from its api_url (`http://host:port/patroni`). */
export function memberBaseUrl(member: ClusterMember): string {
  if (!member.api_url) throw new CliFailure(`member ${member.name} publishes no api_url`);
  return new URL(member.api_url).origin;
}

/** The format given to a command, `pretty` unless it says otherwise. */
export function formatOf(command: Command, fallback: OutputFormat = 'pretty'): OutputFormat {
  return (command.opts<{ format?: OutputFormat }>().format ?? fallback) as OutputFormat;
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

/** patronictl's timestamp(): local time, `YYYY-MM-DD HH:MM:SS[.ffffff]` with `precision` digits. */
export function localTimestamp(precision = 6, at = new Date()): string {
  const two = (value: number) => String(value).padStart(2, '0');
  const base =
    `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())} ` +
    `${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}`;
  if (precision === 0) return base;
  const micros = `${String(at.getMilliseconds()).padStart(3, '0')}000`;
  return `${base}.${micros.slice(0, precision)}`;
}
