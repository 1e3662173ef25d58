import { quorumOverlaps, type QuorumKey, type QuorumStandbyNames } from './quorum-state.ts';

/** What the winner of a leader race writes and has PostgreSQL wait for before it is promoted. */
export interface QuorumHandover {
  readonly key: QuorumKey;
  readonly standbyNames: QuorumStandbyNames;
}

/**
 * As Patroni's quorum pre-promotion: the winner takes the key's leader place and the former leader
 * takes the winner's place among the voters, with the same quorum, and PostgreSQL waits for
 * `|voters| - quorum` of those voters, so that the key keeps voters from the promotion on and a new
 * leader that dies at once does not leave the cluster to itself alone. Undefined when the key already
 * names `me` as its leader, or names no voters (then only its leader may race, and the first cycle of
 * the new leader computes the key again).
 */
export function quorumHandover(key: QuorumKey | undefined, me: string): QuorumHandover | undefined {
  if (!key || key.leader === me || key.voters.length === 0) return undefined;
  const voters = [...new Set([...key.voters.filter((name) => name !== me), key.leader])].sort();
  const handover: QuorumHandover = {
    key: { leader: me, quorum: key.quorum, voters },
    standbyNames: { numsync: voters.length - key.quorum, names: voters },
  };
  return quorumOverlaps(handover.key, handover.standbyNames) ? handover : undefined;
}
