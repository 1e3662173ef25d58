import { availableParallelism } from 'node:os';
import { nameError } from '../../../libs/domain/src/index.ts';
import {
  ServiceSettingsError,
  type Environment,
} from '../../../libs/service-settings/src/index.ts';
import { listenerSettingsFromEnv, type ListenerSettings } from './listener-settings.ts';

export const GATEWAY_ENV = {
  members: 'NATRONI_GATEWAY_MEMBERS',
  username: 'NATRONI_RESTAPI_USERNAME',
  password: 'NATRONI_RESTAPI_PASSWORD',
  bodyLimit: 'NATRONI_GATEWAY_BODY_LIMIT',
  switchoverTimeout: 'NATRONI_GATEWAY_SWITCHOVER_TIMEOUT',
  certFile: 'NATRONI_RESTAPI_CERTFILE',
  keyFile: 'NATRONI_RESTAPI_KEYFILE',
  workers: 'NATRONI_GATEWAY_WORKERS',
} as const;

/** One member the gateway answers the bare Patroni paths for, on its own listener. */
export interface ServedMember {
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

export interface GatewaySettings {
  readonly members: readonly ServedMember[];
  /** Patroni's `restapi.authentication`; unsafe methods are open when it is absent. */
  readonly auth?: { readonly username: string; readonly password: string };
  readonly bodyLimitBytes: number;
  /** How long an immediate switchover waits for its outcome; undefined: Patroni's 2 × max(10, loop_wait). */
  readonly switchoverTimeoutMs?: number;
  /** Patroni's `restapi.certfile` / `keyfile`: the member listeners serve HTTPS with them. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  /** Processes serving the listeners together (node:cluster); 1: the gateway is one process. */
  readonly workers: number;
  /** The member listeners' fast path and bounds (listener-settings.ts). */
  readonly listener: ListenerSettings;
}

export const GATEWAY_SETTINGS = Symbol('GatewaySettings');

const DEFAULT_BODY_LIMIT = 64 * 1024;
const MAX_WORKERS = 64;
// A health check costs CPU on one thread, so more workers serve more, but a gateway shares its host with
// a member (PostgreSQL, node-agent, election) or a load balancer: by default one core is left to them.
// On two cores with wrk beside it, one process answered 31-41k req/s at p99 2.4 ms or less, two workers
// 38-52k at p99 up to 7 ms. Four at most unless asked: every worker is a whole gateway (its own NATS
// connection, KV watch, memory and polls of unmanaged servers), and three cores' worth of health checks is
// far beyond what load balancers ask.
const DEFAULT_MAX_WORKERS = 4;

function parseMembers(text: string, problems: string[]): ServedMember[] {
  const members: ServedMember[] = [];
  for (const item of text.split(',').map((part) => part.trim())) {
    if (item === '') continue;
    const match = /^([^=]+)=(?:(.+):)?(\d{1,5})$/.exec(item);
    const name = match?.[1]?.trim() ?? '';
    const port = Number(match?.[3]);
    const error = match ? nameError('member name', name) : undefined;
    if (!match || error || port < 1 || port > 65535) {
      problems.push(
        `${GATEWAY_ENV.members}: ${JSON.stringify(item)} is not name=host:port${error ? ` (${error})` : ''}`,
      );
      continue;
    }
    members.push({ name, host: match[2] ?? '127.0.0.1', port });
  }
  const names = new Set(members.map((member) => member.name));
  if (names.size !== members.length)
    problems.push(`${GATEWAY_ENV.members}: a member is listed twice`);
  return members;
}

function positiveNumber(
  env: Environment,
  variable: string,
  problems: string[],
): number | undefined {
  const text = env[variable]?.trim();
  if (!text) return undefined;
  const value = Number(text);
  if (Number.isFinite(value) && value > 0) return value;
  problems.push(`${variable}: ${JSON.stringify(text)} is not a positive number`);
  return undefined;
}

/** What the default worker count depends on: the cores this process may use; whether node:cluster works. */
export interface GatewayHost {
  readonly cores: number;
  readonly cluster: boolean;
}

// Deno 2.9's node:cluster forks and shares listeners, but its workers do not stop cleanly on a signal:
// closing a shared listener fails with BrokenPipe, and exits are reported as killed by the signal.
const THIS_HOST: GatewayHost = { cores: availableParallelism(), cluster: !('Deno' in globalThis) };

function workerCount(env: Environment, host: GatewayHost, problems: string[]): number {
  const text = env[GATEWAY_ENV.workers]?.trim();
  if (!text) return host.cluster ? Math.max(1, Math.min(host.cores - 1, DEFAULT_MAX_WORKERS)) : 1;
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(value >= 1 && value <= MAX_WORKERS)) {
    problems.push(
      `${GATEWAY_ENV.workers}: ${JSON.stringify(text)} is not a whole number from 1 to ${MAX_WORKERS}`,
    );
    return 1;
  }
  if (value > 1 && !host.cluster) {
    problems.push(
      `${GATEWAY_ENV.workers}: ${value} workers need node:cluster, which does not work under Deno: set 1`,
    );
    return 1;
  }
  return value;
}

/**
 * The gateway's own settings: `NATRONI_GATEWAY_MEMBERS="pg1=127.0.0.1:8008,pg2=127.0.0.1:8009"`,
 * `NATRONI_RESTAPI_USERNAME` + `NATRONI_RESTAPI_PASSWORD`, `NATRONI_GATEWAY_BODY_LIMIT` (bytes) and
 * `NATRONI_GATEWAY_SWITCHOVER_TIMEOUT` (seconds), `NATRONI_RESTAPI_CERTFILE` + `NATRONI_RESTAPI_KEYFILE`
 * (HTTPS), `NATRONI_GATEWAY_WORKERS` (processes; by default one per core of `host` but one, at least 1
 * and at most 4; 1 under Deno), and the member listeners' settings of listener-settings.ts.
 */
export function gatewaySettingsFromEnv(
  env: Environment,
  host: GatewayHost = THIS_HOST,
): GatewaySettings {
  const problems: string[] = [];
  const members = parseMembers(env[GATEWAY_ENV.members] ?? '', problems);
  const username = env[GATEWAY_ENV.username] || undefined;
  const password = env[GATEWAY_ENV.password] || undefined;
  if ((username === undefined) !== (password === undefined)) {
    problems.push(`${GATEWAY_ENV.username} and ${GATEWAY_ENV.password} must be set together`);
  }
  const certFile = env[GATEWAY_ENV.certFile] || undefined;
  const keyFile = env[GATEWAY_ENV.keyFile] || undefined;
  if ((certFile === undefined) !== (keyFile === undefined)) {
    problems.push(`${GATEWAY_ENV.certFile} and ${GATEWAY_ENV.keyFile} must be set together`);
  }
  const bodyLimit = positiveNumber(env, GATEWAY_ENV.bodyLimit, problems);
  const switchoverTimeout = positiveNumber(env, GATEWAY_ENV.switchoverTimeout, problems);
  const workers = workerCount(env, host, problems);
  const listener = listenerSettingsFromEnv(env, problems);
  if (problems.length > 0) throw new ServiceSettingsError('api-gateway', problems);
  return {
    members,
    ...(username !== undefined && password !== undefined ? { auth: { username, password } } : {}),
    bodyLimitBytes: Math.floor(bodyLimit ?? DEFAULT_BODY_LIMIT),
    ...(switchoverTimeout === undefined ? {} : { switchoverTimeoutMs: switchoverTimeout * 1000 }),
    ...(certFile !== undefined && keyFile !== undefined ? { tls: { certFile, keyFile } } : {}),
    workers,
    listener,
  };
}
