import { isRecord } from './plain-document.ts';

export type Environment = Readonly<Record<string, string | undefined>>;

/** Environment variables that override keys of the member configuration file (Patroni's PATRONI_* set). */
export const ENVIRONMENT_OVERRIDES: Readonly<Record<string, readonly string[]>> = {
  NATRONI_NAMESPACE: ['namespace'],
  NATRONI_SCOPE: ['scope'],
  NATRONI_NAME: ['name'],
  NATRONI_NATS_SERVERS: ['nats', 'servers'],
  NATRONI_NATS_USER: ['nats', 'user'],
  NATRONI_NATS_PASSWORD: ['nats', 'password'],
  NATRONI_NATS_CREDENTIALS_FILE: ['nats', 'credentials_file'],
  NATRONI_NATS_KV_REPLICAS: ['nats', 'kv_replicas'],
  NATRONI_RESTAPI_LISTEN: ['restapi', 'listen'],
  NATRONI_RESTAPI_CONNECT_ADDRESS: ['restapi', 'connect_address'],
  NATRONI_RESTAPI_USERNAME: ['restapi', 'authentication', 'username'],
  NATRONI_RESTAPI_PASSWORD: ['restapi', 'authentication', 'password'],
  NATRONI_POSTGRESQL_LISTEN: ['postgresql', 'listen'],
  NATRONI_POSTGRESQL_CONNECT_ADDRESS: ['postgresql', 'connect_address'],
  NATRONI_POSTGRESQL_DATA_DIR: ['postgresql', 'data_dir'],
  NATRONI_POSTGRESQL_BIN_DIR: ['postgresql', 'bin_dir'],
  NATRONI_SUPERUSER_USERNAME: ['postgresql', 'authentication', 'superuser', 'username'],
  NATRONI_SUPERUSER_PASSWORD: ['postgresql', 'authentication', 'superuser', 'password'],
  NATRONI_REPLICATION_USERNAME: ['postgresql', 'authentication', 'replication', 'username'],
  NATRONI_REPLICATION_PASSWORD: ['postgresql', 'authentication', 'replication', 'password'],
};

/** Numbers arrive from the environment as text; these keys are converted before validation. */
const NUMERIC_PATHS = new Set(['nats.kv_replicas']);
const LIST_PATHS = new Set(['nats.servers']);

/**
 * Returns a copy of `document` with the environment's overrides applied, and for each overridden key
 * path the variable it came from, so that a validation message can name both.
 */
export function applyEnvironment(
  document: Readonly<Record<string, unknown>>,
  env: Environment,
): { document: Record<string, unknown>; origins: Map<string, string> } {
  const copy = structuredClone(document) as Record<string, unknown>;
  const origins = new Map<string, string>();
  for (const [variable, path] of Object.entries(ENVIRONMENT_OVERRIDES)) {
    const raw = env[variable];
    if (raw === undefined || raw === '') continue;
    const dotted = path.join('.');
    origins.set(dotted, variable);
    let value: unknown = raw;
    if (NUMERIC_PATHS.has(dotted)) value = Number(raw);
    if (LIST_PATHS.has(dotted))
      value = raw
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean);
    setPath(copy, path, value);
  }
  return { document: copy, origins };
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (!isRecord(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}
