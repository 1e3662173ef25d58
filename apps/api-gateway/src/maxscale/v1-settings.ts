import {
  ServiceSettingsError,
  type Environment,
} from '../../../../libs/service-settings/src/index.ts';

export const V1_ENV = {
  readOnlyUsername: 'NATRONI_V1_READONLY_USERNAME',
  readOnlyPassword: 'NATRONI_V1_READONLY_PASSWORD',
  services: 'NATRONI_V1_SERVICES',
  monitorUser: 'NATRONI_MONITOR_USER',
  monitorPassword: 'NATRONI_MONITOR_PASSWORD',
  monitorInterval: 'NATRONI_MONITOR_INTERVAL',
} as const;

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

/** The MaxScale-style `/v1` API's own settings. */
export interface V1Settings {
  /** MaxScale's "basic" account: GETs only. */
  readonly readOnly?: Credentials;
  /** The services servers can be linked to; every member uses all of them unless told otherwise. */
  readonly services: readonly string[];
  /** How the gateway connects to the servers natroni does not manage (a server's monitoruser wins). */
  readonly monitor: { readonly user: string; readonly password?: string };
  readonly monitorIntervalMs: number;
}

export const V1_SETTINGS = Symbol('V1Settings');

export const DEFAULT_SERVICES = ['read-write', 'read-only'];

export const DEFAULT_V1_SETTINGS: V1Settings = {
  services: DEFAULT_SERVICES,
  monitor: { user: 'postgres' },
  monitorIntervalMs: 3_000,
};

const SERVICE_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * `NATRONI_V1_READONLY_USERNAME` + `NATRONI_V1_READONLY_PASSWORD` (a read-only account),
 * `NATRONI_V1_SERVICES` (comma-separated service names), `NATRONI_MONITOR_USER` +
 * `NATRONI_MONITOR_PASSWORD` (PostgreSQL credentials for servers natroni does not manage) and
 * `NATRONI_MONITOR_INTERVAL` (seconds between two polls of such a server).
 */
export function v1SettingsFromEnv(env: Environment): V1Settings {
  const problems: string[] = [];
  const username = env[V1_ENV.readOnlyUsername] || undefined;
  const password = env[V1_ENV.readOnlyPassword] || undefined;
  if ((username === undefined) !== (password === undefined)) {
    problems.push(`${V1_ENV.readOnlyUsername} and ${V1_ENV.readOnlyPassword} must be set together`);
  }
  const servicesText = env[V1_ENV.services]?.trim();
  const services = servicesText
    ? servicesText
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean)
    : DEFAULT_SERVICES;
  for (const name of services) {
    if (!SERVICE_NAME.test(name))
      problems.push(`${V1_ENV.services}: ${JSON.stringify(name)} is not a valid service name`);
  }
  if (new Set(services.map((name) => name.toLowerCase())).size !== services.length)
    problems.push(`${V1_ENV.services}: a service is listed twice`);
  const intervalText = env[V1_ENV.monitorInterval]?.trim();
  const interval = intervalText
    ? Number(intervalText)
    : DEFAULT_V1_SETTINGS.monitorIntervalMs / 1000;
  if (!(Number.isFinite(interval) && interval > 0))
    problems.push(
      `${V1_ENV.monitorInterval}: ${JSON.stringify(intervalText)} is not a positive number`,
    );
  if (problems.length > 0) throw new ServiceSettingsError('api-gateway', problems);
  const monitorPassword = env[V1_ENV.monitorPassword] || undefined;
  return {
    ...(username !== undefined && password !== undefined
      ? { readOnly: { username, password } }
      : {}),
    services,
    monitor: {
      user: env[V1_ENV.monitorUser] || DEFAULT_V1_SETTINGS.monitor.user,
      ...(monitorPassword === undefined ? {} : { password: monitorPassword }),
    },
    monitorIntervalMs: interval * 1000,
  };
}
