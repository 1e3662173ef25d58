import type { QuorumKey } from './quorum-state.ts';

/**
 * Patroni's "am I the healthiest node" (`is_healthiest_node`), decided on what this member
 * and its reachable peers reported. Several members may each conclude yes: the atomic write of the
 * leader lease picks one.
 */
export interface RaceParticipant {
  readonly name: string;
  /** max(received, replayed) WAL position for a replica, the current position for a primary. */
  readonly walPosition: number;
  readonly timeline: number | undefined;
  /** The member answers as a running primary. */
  readonly runningPrimary: boolean;
  readonly noFailover: boolean;
  readonly failoverPriority: number;
  /** Taken out of the leader race (maintenance). */
  readonly inMaintenance: boolean;
}

export interface LeaderRaceFacts {
  readonly me: RaceParticipant & { readonly running: boolean };
  /** Peers that answered in time; the others do not count, as in Patroni. */
  readonly peers: readonly RaceParticipant[];
  readonly paused: boolean;
  /** The last leader's WAL position (the `status` key), 0 when unknown. */
  readonly leaderWalPosition: number;
  readonly maximumLagOnFailover: number;
  /** The cluster's timeline from the `history` key, when check_timeline is on. */
  readonly clusterTimeline: number | undefined;
  /** With synchronous mode on: the members allowed to race (the `sync` key's standbys and leader). */
  readonly syncMembers: readonly string[] | undefined;
  /** With quorum commit: the `sync` key, whose voters must vouch for the winner. */
  readonly quorum: QuorumKey | undefined;
  /** The former leader, who may be ahead of everyone without blocking the race. */
  readonly formerLeader: string | undefined;
  /** A manual failover or switchover names this candidate. */
  readonly manualCandidate: string | undefined;
  /** The named candidate answered in time and may promote: the others then leave the race to it. */
  readonly manualCandidateAvailable: boolean;
}

export type RaceVerdict =
  { readonly race: true } | { readonly race: false; readonly reason: string };

const yes: RaceVerdict = { race: true };
const no = (reason: string): RaceVerdict => ({ race: false, reason });

export function leaderRaceVerdict(facts: LeaderRaceFacts): RaceVerdict {
  const { me } = facts;
  if (facts.manualCandidate === me.name) return yes;
  if (facts.manualCandidate !== undefined && facts.manualCandidateAvailable) {
    return no(`the manual failover names ${facts.manualCandidate}`);
  }
  if (facts.paused) return no('the cluster is paused: replicas never race');
  if (me.noFailover) return no('I am not allowed to promote (nofailover)');
  if (me.inMaintenance) return no('I am in maintenance');
  if (!me.running) return no('my PostgreSQL is not running');
  if (facts.syncMembers && !facts.syncMembers.includes(me.name)) {
    return no('synchronous mode is on and I am not a synchronous standby');
  }
  if (facts.leaderWalPosition - me.walPosition > facts.maximumLagOnFailover) {
    return no(
      `my wal position exceeds maximum replication lag (${facts.leaderWalPosition - me.walPosition} bytes behind)`,
    );
  }
  if (
    facts.clusterTimeline !== undefined &&
    (me.timeline === undefined || me.timeline < facts.clusterTimeline)
  ) {
    return no(
      `my timeline ${me.timeline ?? 'unknown'} is behind the cluster's ${facts.clusterTimeline}`,
    );
  }
  if (facts.quorum) return quorumVerdict(me, facts.peers, facts.quorum);
  const rivals = facts.peers.filter(
    (peer) =>
      peer.name !== me.name &&
      !peer.noFailover &&
      (!facts.syncMembers || facts.syncMembers.includes(peer.name)),
  );
  for (const peer of rivals) {
    if (peer.runningPrimary) return no(`primary (${peer.name}) is still alive`);
    if (peer.name === facts.formerLeader && facts.syncMembers) continue;
    if (peer.walPosition > me.walPosition) {
      return no(`${peer.name} has a higher wal position (${peer.walPosition} > ${me.walPosition})`);
    }
    if (
      peer.walPosition === me.walPosition &&
      peer.failoverPriority > me.failoverPriority &&
      peer.name !== facts.formerLeader
    ) {
      return no(
        `${peer.name} has equally tolerable WAL position and priority ${peer.failoverPriority}, ` +
          `while this node has priority ${me.failoverPriority}`,
      );
    }
  }
  return yes;
}

/**
 * Quorum commit: every peer that may be promoted and is ahead wins over me, the key's former leader
 * excepted; a voter not ahead vouches for me, and I need `quorum` of them besides myself when I am a
 * voter, one more when I am not. The key's leader may take the lease back without votes when nobody
 * is ahead.
 */
export function quorumVerdict(
  me: RaceParticipant,
  peers: readonly RaceParticipant[],
  key: QuorumKey,
): RaceVerdict {
  const voters = new Set(key.voters);
  let votes = voters.has(me.name) ? 0 : -1;
  let ahead = 0;
  for (const peer of peers) {
    if (peer.name === me.name || (peer.noFailover && !voters.has(peer.name))) continue;
    if (peer.runningPrimary) return no(`primary (${peer.name}) is still alive`);
    if (peer.walPosition > me.walPosition) {
      ahead += 1;
      if (peer.name !== key.leader) {
        return no(
          `${peer.name} has a higher wal position (${peer.walPosition} > ${me.walPosition})`,
        );
      }
      continue;
    }
    if (peer.walPosition <= 0 || !voters.has(peer.name)) continue;
    if (
      peer.walPosition === me.walPosition &&
      peer.failoverPriority > me.failoverPriority &&
      peer.name !== key.leader
    ) {
      return no(
        `${peer.name} has equally tolerable WAL position and priority ${peer.failoverPriority}, ` +
          `while this node has priority ${me.failoverPriority}`,
      );
    }
    votes += 1;
  }
  if (votes >= key.quorum) return yes;
  if (ahead === 0 && key.leader === me.name) return yes;
  return no(
    `quorum commit: ${Math.max(votes, 0)} of the voters (${key.voters.join(', ') || 'none'}) vouch for me, ${key.quorum} needed`,
  );
}
