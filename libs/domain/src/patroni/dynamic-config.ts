import {
  DEFAULT_HA_TIMINGS,
  MINIMUM_LOOP_WAIT_SECONDS,
  MINIMUM_RETRY_TIMEOUT_SECONDS,
  MINIMUM_TTL_SECONDS,
} from '../election/ha-timings.ts';
import { synchronousModeOf } from './cluster-facts.ts';
import type { DynamicConfig, JsonObject, JsonValue } from './proto-types.ts';

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function withoutNulls(value: JsonValue): JsonValue {
  if (!isObject(value)) return value;
  const result: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    if (item !== null) result[key] = withoutNulls(item);
  }
  return result;
}

function stringForm(value: JsonValue | undefined): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Patroni's `patch_config` on a copy: `null` removes a key, objects merge recursively, scalars
 * are replaced when their string forms differ, new keys are added. Returns the merged config and
 * whether anything changed.
 */
export function patchConfig(
  current: JsonObject,
  patch: JsonObject,
): { config: JsonObject; changed: boolean } {
  const config: JsonObject = { ...current };
  let changed = false;
  for (const [name, value] of Object.entries(patch)) {
    if (name === '__proto__') {
      // Kept as an own key, so that validation refuses it instead of it becoming the prototype.
      Object.defineProperty(config, name, { value, enumerable: true, writable: true });
      changed = true;
      continue;
    }
    const existing = Object.hasOwn(config, name) ? config[name] : undefined;
    if (value === null) {
      if (existing !== undefined && existing !== null) changed = true;
      delete config[name];
    } else if (existing !== undefined) {
      if (isObject(value) && isObject(existing)) {
        const merged = patchConfig(existing, value);
        config[name] = merged.config;
        changed ||= merged.changed;
      } else if (isObject(value) || stringForm(existing) !== stringForm(value)) {
        config[name] = withoutNulls(value);
        changed = true;
      }
    } else {
      config[name] = withoutNulls(value);
      changed = true;
    }
  }
  return { config, changed };
}

/** Quorum commit needs a standby to vote: a cluster of one member is refused. */
export function quorumCommitProblem(memberCount: number | undefined): string | undefined {
  if (memberCount !== undefined && memberCount < 2)
    return `synchronous_mode "quorum" needs at least two members, and this cluster has ${memberCount}`;
  return undefined;
}

/**
 * Patroni's schema of `standby_cluster`: at least one of `host`, `port` and `restore_command`, each
 * reported as Patroni's validator does when all are missing; `port` an integer up to 65535;
 * `create_replica_methods` a list of names.
 */
export function standbyClusterProblems(section: Readonly<Record<string, unknown>>): string[] {
  const keys = ['host', 'port', 'restore_command'];
  if (!keys.some((key) => section[key] !== undefined && section[key] !== null))
    return keys.map((key) => `standby_cluster.${key} is not defined.`);
  const problems: string[] = [];
  for (const key of [
    'host',
    'restore_command',
    'archive_cleanup_command',
    'primary_slot_name',
    'recovery_min_apply_delay',
  ]) {
    const value = section[key];
    if (value !== undefined && value !== null && typeof value !== 'string')
      problems.push(`standby_cluster.${key} is not a string`);
  }
  const port = section['port'];
  if (
    port !== undefined &&
    port !== null &&
    !(typeof port === 'number' && Number.isInteger(port) && port >= 0 && port <= 65_535)
  )
    problems.push('standby_cluster.port is not an integer from 0 to 65535');
  const methods = section['create_replica_methods'];
  if (
    methods !== undefined &&
    methods !== null &&
    !(Array.isArray(methods) && methods.every((method) => typeof method === 'string'))
  )
    problems.push('standby_cluster.create_replica_methods is not a list of strings');
  return problems;
}

/** What the request is checked against besides the configuration itself. */
export interface DynamicConfigFacts {
  /** Members in the cluster (those with a status in the `members` keys). */
  readonly memberCount?: number;
}

/**
 * Minimums and `loop_wait + 2 × retry_timeout <= ttl`, checked on the values with defaults; then what
 * the cluster cannot honour (quorum commit in a cluster of one) and Patroni's schema of `standby_cluster`.
 */
export function dynamicConfigProblems(
  config: DynamicConfig,
  facts: DynamicConfigFacts = {},
): string[] {
  const problems: string[] = [];
  const ttl = config.ttl ?? DEFAULT_HA_TIMINGS.ttlSeconds;
  const loopWait = config.loopWait ?? DEFAULT_HA_TIMINGS.loopWaitSeconds;
  const retryTimeout = config.retryTimeout ?? DEFAULT_HA_TIMINGS.retryTimeoutSeconds;
  if (ttl < MINIMUM_TTL_SECONDS)
    problems.push(`ttl must be at least ${MINIMUM_TTL_SECONDS} seconds, got ${ttl}`);
  if (loopWait < MINIMUM_LOOP_WAIT_SECONDS)
    problems.push(
      `loop_wait must be at least ${MINIMUM_LOOP_WAIT_SECONDS} second, got ${loopWait}`,
    );
  if (retryTimeout < MINIMUM_RETRY_TIMEOUT_SECONDS)
    problems.push(
      `retry_timeout must be at least ${MINIMUM_RETRY_TIMEOUT_SECONDS} second, got ${retryTimeout}`,
    );
  if (loopWait + 2 * retryTimeout > ttl) {
    problems.push(
      `loop_wait + 2 * retry_timeout must not exceed ttl: ${loopWait} + 2 * ${retryTimeout} > ${ttl}`,
    );
  }
  if (config.synchronousNodeCount !== undefined && config.synchronousNodeCount < 1)
    problems.push('synchronous_node_count must be at least 1');
  const mode = config.synchronousMode?.kind;
  if (mode && mode.case !== 'boolValue' && mode.case !== 'nullValue') {
    const valid =
      mode.case === 'stringValue' &&
      ['on', 'off', 'true', 'false', 'yes', 'no', 'quorum'].includes(mode.value.toLowerCase());
    if (!valid) problems.push('synchronous_mode must be true, false or "quorum"');
  }
  const quorumProblem =
    synchronousModeOf(config) === 'quorum' ? quorumCommitProblem(facts.memberCount) : undefined;
  if (quorumProblem) problems.push(quorumProblem);
  if (config.standbyCluster !== undefined)
    problems.push(...standbyClusterProblems(config.standbyCluster));
  return problems;
}
