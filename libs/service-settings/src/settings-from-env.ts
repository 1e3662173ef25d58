import { nameError, type NameKind } from '../../domain/src/index.ts';
import type { MemberConfig } from '../../member-config/src/index.ts';
import { SERVICE_DEFAULTS, type ServiceName } from './service-names.ts';
import { ServiceSettingsError } from './service-settings-error.ts';
import type { NatsSettings, ServiceSettings } from './service-settings.ts';

export const SETTINGS_ENV = {
  namespace: 'NATRONI_NAMESPACE',
  scope: 'NATRONI_SCOPE',
  member: 'NATRONI_NAME',
  natsServers: 'NATRONI_NATS_SERVERS',
  natsUser: 'NATRONI_NATS_USER',
  natsPassword: 'NATRONI_NATS_PASSWORD',
  httpHost: 'NATRONI_HTTP_HOST',
  httpPort: 'NATRONI_HTTP_PORT',
} as const;

export type Environment = Readonly<Record<string, string | undefined>>;

const DEFAULT_NAME = 'natroni';
const DEFAULT_NATS_SERVER = 'nats://127.0.0.1:4222';
const DEFAULT_HTTP_HOST = '127.0.0.1';
const NATS_PROTOCOLS = new Set(['nats:', 'tls:']);

/**
 * Reads a service's settings from environment variables, falling back on the member's configuration
 * file when one is given. A variable set to the empty string counts as unset. Throws a
 * `ServiceSettingsError` that lists every bad variable at once.
 */
export function settingsFromEnv(
  service: ServiceName,
  env: Environment,
  config?: MemberConfig,
): ServiceSettings {
  const problems: string[] = [];
  const checkName = (kind: NameKind, variable: string, value: string): string => {
    const error = nameError(kind, value);
    if (error) problems.push(`${variable}: ${error}`);
    return value;
  };

  const namespace = checkName(
    'namespace',
    SETTINGS_ENV.namespace,
    text(env, SETTINGS_ENV.namespace) ?? config?.namespace ?? DEFAULT_NAME,
  );
  const scope = checkName(
    'scope',
    SETTINGS_ENV.scope,
    text(env, SETTINGS_ENV.scope) ?? config?.scope ?? DEFAULT_NAME,
  );
  const member = text(env, SETTINGS_ENV.member) ?? config?.name;
  if (member !== undefined) checkName('member name', SETTINGS_ENV.member, member);
  else if (SERVICE_DEFAULTS[service].memberRequired) {
    problems.push(`${SETTINGS_ENV.member}: ${service} needs the name of its member`);
  }

  const nats = natsSettings(env, problems, config);

  const host = text(env, SETTINGS_ENV.httpHost) ?? DEFAULT_HTTP_HOST;
  if (/\s/.test(host))
    problems.push(`${SETTINGS_ENV.httpHost}: ${JSON.stringify(host)} is not a host`);
  const port = httpPort(
    text(env, SETTINGS_ENV.httpPort),
    SERVICE_DEFAULTS[service].httpPort,
    problems,
  );

  if (problems.length > 0) throw new ServiceSettingsError(service, problems);
  return {
    service,
    namespace,
    scope,
    ...(member === undefined ? {} : { member }),
    nats,
    http: { host, port },
  };
}

function text(env: Environment, variable: string): string | undefined {
  const value = env[variable]?.trim();
  return value === '' ? undefined : value;
}

function natsSettings(env: Environment, problems: string[], config?: MemberConfig): NatsSettings {
  const variable = SETTINGS_ENV.natsServers;
  const servers = (text(env, variable) ?? config?.nats.servers.join(',') ?? DEFAULT_NATS_SERVER)
    .split(',')
    .map((server) => server.trim())
    .filter((server) => server !== '');
  if (servers.length === 0) problems.push(`${variable}: no server given`);
  for (const server of servers) {
    if (!isNatsServer(server)) {
      problems.push(
        `${variable}: ${JSON.stringify(server)} is not a NATS server (nats://host:port, tls://host:port or host:port)`,
      );
    }
  }

  const user = text(env, SETTINGS_ENV.natsUser) ?? config?.nats.user;
  // A password may legitimately begin or end with spaces, so it is not trimmed.
  const rawPassword = env[SETTINGS_ENV.natsPassword];
  const password =
    rawPassword === '' || rawPassword === undefined ? config?.nats.password : rawPassword;
  if (user !== undefined && password === undefined) {
    problems.push(`${SETTINGS_ENV.natsPassword}: required when ${SETTINGS_ENV.natsUser} is set`);
  }
  if (user === undefined && password !== undefined) {
    problems.push(`${SETTINGS_ENV.natsUser}: required when ${SETTINGS_ENV.natsPassword} is set`);
  }
  const tls = config?.nats.tls;
  return {
    servers,
    ...(user === undefined ? {} : { user }),
    ...(password === undefined ? {} : { password }),
    ...(config?.nats.credentials_file === undefined
      ? {}
      : { credentialsFile: config.nats.credentials_file }),
    ...(tls === undefined
      ? {}
      : { tls: { caFile: tls.ca_file, certFile: tls.cert_file, keyFile: tls.key_file } }),
  };
}

function isNatsServer(server: string): boolean {
  try {
    const url = new URL(server.includes('://') ? server : `nats://${server}`);
    return NATS_PROTOCOLS.has(url.protocol) && url.hostname !== '';
  } catch {
    return false;
  }
}

/** A TCP port given as text, or `fallback` when none is given; a bad one is added to `problems`. */
export function httpPort(
  value: string | undefined,
  fallback: number,
  problems: string[],
  variable: string = SETTINGS_ENV.httpPort,
): number {
  if (value === undefined) return fallback;
  const port = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (port >= 1 && port <= 65535) return port;
  problems.push(`${variable}: ${JSON.stringify(value)} is not a TCP port (1-65535)`);
  return fallback;
}
