import type { Environment } from '../../../libs/service-settings/src/index.ts';

export const LISTENER_ENV = {
  fastPath: 'NATRONI_GATEWAY_HEALTH_CHECK_FAST_PATH',
  headTimeout: 'NATRONI_GATEWAY_HEAD_TIMEOUT',
  idleTimeout: 'NATRONI_GATEWAY_IDLE_TIMEOUT',
  maxConnections: 'NATRONI_GATEWAY_MAX_CONNECTIONS',
} as const;

/** How the member listeners serve their connections, and the bounds no client can go past. */
export interface ListenerSettings {
  /** Health checks answered on the socket itself; false: Node's HTTP server answers every request. */
  readonly fastPath: boolean;
  /** The time a request head may take to arrive, from its first byte: Node's headersTimeout. */
  readonly headTimeoutMs: number;
  /** The time a kept-alive connection may wait for its next request: Node's keepAliveTimeout. */
  readonly idleTimeoutMs: number;
  /** Open connections per listener; past it, a new connection is refused with a 503 and closed. */
  readonly maxConnections: number;
}

// A health check's head is one packet: ten seconds is generous on any network, and short enough that a
// client trickling bytes holds a connection slot for little time (Node's own default is a minute).
// Five seconds of idleness is Node's keepAliveTimeout, which load balancers' check intervals fit in.
// Ten thousand connections per listener stay within the file descriptors Node raises itself to on a
// common host (its soft limit up to the hard one), and cost a few kilobytes each when idle.
export const DEFAULT_LISTENER_SETTINGS: ListenerSettings = {
  fastPath: true,
  headTimeoutMs: 10_000,
  idleTimeoutMs: 5_000,
  maxConnections: 10_000,
};

const MAX_TIMEOUT_S = 3_600;
const MAX_CONNECTIONS = 1_000_000;

function onOff(env: Environment, problems: string[]): boolean {
  const text = env[LISTENER_ENV.fastPath]?.trim().toLowerCase();
  if (!text) return DEFAULT_LISTENER_SETTINGS.fastPath;
  if (['on', 'true', '1'].includes(text)) return true;
  if (['off', 'false', '0'].includes(text)) return false;
  problems.push(`${LISTENER_ENV.fastPath}: ${JSON.stringify(text)} is not on or off`);
  return DEFAULT_LISTENER_SETTINGS.fastPath;
}

function seconds(
  env: Environment,
  variable: string,
  fallbackMs: number,
  problems: string[],
): number {
  const text = env[variable]?.trim();
  if (!text) return fallbackMs;
  const value = Number(text);
  if (Number.isFinite(value) && value >= 0.1 && value <= MAX_TIMEOUT_S)
    return Math.round(value * 1000);
  problems.push(
    `${variable}: ${JSON.stringify(text)} is not a number of seconds from 0.1 to ${MAX_TIMEOUT_S}`,
  );
  return fallbackMs;
}

function connections(env: Environment, problems: string[]): number {
  const text = env[LISTENER_ENV.maxConnections]?.trim();
  if (!text) return DEFAULT_LISTENER_SETTINGS.maxConnections;
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (value >= 1 && value <= MAX_CONNECTIONS) return value;
  problems.push(
    `${LISTENER_ENV.maxConnections}: ${JSON.stringify(text)} is not a whole number from 1 to ${MAX_CONNECTIONS}`,
  );
  return DEFAULT_LISTENER_SETTINGS.maxConnections;
}

/**
 * `NATRONI_GATEWAY_HEALTH_CHECK_FAST_PATH` (on/off), `NATRONI_GATEWAY_HEAD_TIMEOUT` and
 * `NATRONI_GATEWAY_IDLE_TIMEOUT` (seconds), `NATRONI_GATEWAY_MAX_CONNECTIONS` (per listener).
 */
export function listenerSettingsFromEnv(env: Environment, problems: string[]): ListenerSettings {
  return {
    fastPath: onOff(env, problems),
    headTimeoutMs: seconds(
      env,
      LISTENER_ENV.headTimeout,
      DEFAULT_LISTENER_SETTINGS.headTimeoutMs,
      problems,
    ),
    idleTimeoutMs: seconds(
      env,
      LISTENER_ENV.idleTimeout,
      DEFAULT_LISTENER_SETTINGS.idleTimeoutMs,
      problems,
    ),
    maxConnections: connections(env, problems),
  };
}
