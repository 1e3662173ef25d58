/**
 * Who monitors the servers natroni does not manage. Every node's gateway could poll them, but then
 * each would see them a little differently, and two writing what they saw would overwrite each other.
 * So one gateway at a time holds the `server-monitor` key: it renews the key before each round of polls
 * and stores what it sees; the others read that. A gateway takes the key over (compare-and-set on the
 * revision it saw) only once no renewal has reached it for the ttl written in the key, so a holder that
 * died, froze or lost NATS is replaced within about ttl and one round.
 */

/** The `server-monitor` key as one gateway sees it. */
export interface MonitorLeaseSighting {
  /** The revision of the gateway's own last write of the key; undefined when it does not hold it. */
  readonly heldRevision: number | undefined;
  /** The key's latest revision in the gateway's view, with its ttl; undefined when absent. */
  readonly lease: { readonly revision: number; readonly ttlMs: number } | undefined;
  /** How long ago, on the gateway's own clock, that revision reached it. */
  readonly seenForMs: number;
}

export type MonitorLeaseMove =
  /** The gateway holds the key: renew it on the revision it wrote last. */
  | { readonly kind: 'renew'; readonly revision: number }
  /** Nobody holds it: create it. */
  | { readonly kind: 'create' }
  /** Its holder stopped renewing it: take it over on the revision seen. */
  | { readonly kind: 'take-over'; readonly revision: number }
  /** Another gateway holds it. */
  | { readonly kind: 'wait' };

export function monitorLeaseMove(sighting: MonitorLeaseSighting): MonitorLeaseMove {
  if (sighting.heldRevision !== undefined)
    return { kind: 'renew', revision: sighting.heldRevision };
  if (sighting.lease === undefined) return { kind: 'create' };
  if (monitorLeaseLapsed(sighting)) return { kind: 'take-over', revision: sighting.lease.revision };
  return { kind: 'wait' };
}

/**
 * No renewal of the key has reached the gateway for its ttl: whoever held it stopped monitoring, and
 * what it stored last is no longer what a server is now. An absent key has lapsed too.
 */
export function monitorLeaseLapsed(sighting: Omit<MonitorLeaseSighting, 'heldRevision'>): boolean {
  return sighting.lease === undefined || sighting.seenForMs >= sighting.lease.ttlMs;
}
