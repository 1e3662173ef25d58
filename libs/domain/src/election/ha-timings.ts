/**
 * natroni's defaults for the HA timings, and the rule that ties them (docs/ha.md, "Timings").
 *
 * Patroni defaults to ttl 30 s, loop_wait 10 s, retry_timeout 10 s, because its leader key expires on
 * the DCS server and a replica learns of a dead leader up to loop_wait late. natroni's lease is timed
 * by every observer from the last renewal it received, renewals come three times per validity window,
 * and a leader change wakes every member at once, so a much shorter ttl keeps the same safety:
 * ttl 10 s survives a nats-server restart (about 1 s plus a 0.25 s reconnect) and a JetStream leader
 * election (a few seconds) with renewals to spare. See docs/ha.md, "Timings", for the measurements.
 */
export const DEFAULT_HA_TIMINGS = {
  ttlSeconds: 10,
  loopWaitSeconds: 1,
  retryTimeoutSeconds: 4,
  maximumLagOnFailover: 1_048_576,
} as const;

export const MINIMUM_TTL_SECONDS = 4;
export const MINIMUM_LOOP_WAIT_SECONDS = 1;
export const MINIMUM_RETRY_TIMEOUT_SECONDS = 1;

export interface HaTimings {
  ttlMs: number;
  loopWaitMs: number;
  retryTimeoutMs: number;
  maximumLagOnFailover: number;
}

export interface HaTimingsInput {
  ttl?: number;
  loopWait?: number;
  retryTimeout?: number;
  maximumLagOnFailover?: number;
}

/**
 * The timings the HA loop runs with: defaults for what is absent, minimums raised, and, as Patroni
 * does, `loop_wait` then `retry_timeout` lowered until `loop_wait + 2 × retry_timeout <= ttl`.
 */
export function haTimings(config: HaTimingsInput | undefined): HaTimings {
  const ttl = Math.max(MINIMUM_TTL_SECONDS, config?.ttl ?? DEFAULT_HA_TIMINGS.ttlSeconds);
  let loopWait = Math.max(
    MINIMUM_LOOP_WAIT_SECONDS,
    config?.loopWait ?? DEFAULT_HA_TIMINGS.loopWaitSeconds,
  );
  let retryTimeout = Math.max(
    MINIMUM_RETRY_TIMEOUT_SECONDS,
    config?.retryTimeout ?? DEFAULT_HA_TIMINGS.retryTimeoutSeconds,
  );
  if (loopWait + 2 * retryTimeout > ttl) {
    loopWait = Math.max(MINIMUM_LOOP_WAIT_SECONDS, ttl - 2 * retryTimeout);
    if (loopWait + 2 * retryTimeout > ttl) retryTimeout = Math.floor((ttl - loopWait) / 2);
  }
  return {
    ttlMs: ttl * 1000,
    loopWaitMs: loopWait * 1000,
    retryTimeoutMs: retryTimeout * 1000,
    maximumLagOnFailover: config?.maximumLagOnFailover ?? DEFAULT_HA_TIMINGS.maximumLagOnFailover,
  };
}

/**
 * The timings of a cluster: from its `config` key, or, before the cluster has one, from the member
 * file's `bootstrap.dcs` (Patroni's key names). Every service must time the lease the same way.
 */
export function clusterHaTimings(
  stored: HaTimingsInput | undefined,
  bootstrapDcs: Readonly<Record<string, unknown>>,
): HaTimings {
  if (stored) return haTimings(stored);
  const number = (key: string) =>
    typeof bootstrapDcs[key] === 'number' ? (bootstrapDcs[key] as number) : undefined;
  return haTimings({
    ttl: number('ttl'),
    loopWait: number('loop_wait'),
    retryTimeout: number('retry_timeout'),
    maximumLagOnFailover: number('maximum_lag_on_failover'),
  });
}
