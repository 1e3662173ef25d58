/**
 * Quorum commit (`synchronous_mode: quorum`): PostgreSQL waits for any `numsync` of the standbys named
 * in `synchronous_standby_names`, and the `sync` key names the voters and how many of them (`quorum`)
 * a new leader must hear from besides itself. Any set of standbys that can acknowledge a commit must
 * overlap any set of voters that can elect a leader: with voters and names over the standbys,
 * `|voters ∪ names| <= quorum + numsync`, unless there are no voters, when only the key's leader may
 * take the lease back.
 */
export interface QuorumKey {
  readonly leader: string;
  readonly quorum: number;
  readonly voters: readonly string[];
}

export interface QuorumStandbyNames {
  readonly numsync: number;
  readonly names: readonly string[];
}

export interface QuorumFacts {
  /** The primary running the transitions. */
  readonly me: string;
  /** The `sync` key as read, undefined when there is none. */
  readonly key: QuorumKey | undefined;
  /** What PostgreSQL waits for now. */
  readonly standbyNames: QuorumStandbyNames;
  /** How many of the named standbys PostgreSQL reports as caught up since they were named. */
  readonly confirmed: number;
  /** The streaming standbys allowed to acknowledge commits. */
  readonly active: readonly string[];
  /** `synchronous_node_count`. */
  readonly wanted: number;
}

export type QuorumTransition =
  | ({ readonly kind: 'sync_key' } & QuorumKey)
  | ({ readonly kind: 'standby_names' } & QuorumStandbyNames);

function sorted(names: Iterable<string>): string[] {
  return [...new Set(names)].sort();
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return sorted(a).join('\n') === sorted(b).join('\n');
}

/** The overlap rule between one `sync` key and one `synchronous_standby_names`. */
export function quorumOverlaps(key: QuorumKey, standbyNames: QuorumStandbyNames): boolean {
  if (key.voters.length === 0) return key.quorum === 0;
  if (key.quorum < 0 || key.quorum >= new Set(key.voters).size) return false;
  const union = new Set([...key.voters, ...standbyNames.names]);
  return union.size <= key.quorum + Math.min(standbyNames.numsync, standbyNames.names.length);
}

/**
 * The ordered changes that take the `sync` key and `synchronous_standby_names` to voters = names =
 * active, `numsync = min(wanted, |active|)`, `quorum = |active| - numsync`, every prefix keeping the
 * overlap rule with the names in force before and after it. Voters are narrowed to the new names only
 * once `confirmed` standbys reached them; until then the list stops short and the next cycle goes on.
 */
export function quorumTransitions(facts: QuorumFacts): QuorumTransition[] {
  const { me } = facts;
  const active = sorted(facts.active.filter((name) => name !== me));
  const numsync = Math.min(Math.max(1, facts.wanted), active.length);
  const target: QuorumKey = { leader: me, quorum: active.length - numsync, voters: active };
  const transitions: QuorumTransition[] = [];
  const names: QuorumStandbyNames = {
    numsync: Math.min(facts.standbyNames.numsync, facts.standbyNames.names.length),
    names: sorted(facts.standbyNames.names.filter((name) => name !== me)),
  };
  let key: QuorumKey = facts.key ?? { leader: me, quorum: 0, voters: [] };
  const writeKey = (next: QuorumKey): void => {
    transitions.push({ kind: 'sync_key', ...next });
    key = next;
  };
  if (!facts.key || key.leader !== me || key.voters.includes(me) || !quorumOverlaps(key, names)) {
    writeKey({ leader: me, quorum: 0, voters: [] });
  }
  const goal: QuorumStandbyNames = { numsync, names: active };
  const namesChange = goal.numsync !== names.numsync || !sameNames(goal.names, names.names);
  if (key.voters.length > 0 && namesChange) {
    if (active.length === 0) {
      writeKey({ leader: me, quorum: 0, voters: [] });
    } else {
      const widened = sorted([...key.voters, ...names.names, ...active]);
      const quorum = widened.length - Math.min(names.numsync, numsync);
      if (quorum !== key.quorum || !sameNames(widened, key.voters)) {
        writeKey({ leader: me, quorum, voters: widened });
      }
    }
  }
  if (namesChange) transitions.push({ kind: 'standby_names', ...goal });
  const caughtUp = namesChange ? 0 : facts.confirmed;
  const keyDone = key.quorum === target.quorum && sameNames(key.voters, target.voters);
  if (!keyDone && (active.length === 0 || caughtUp >= numsync)) writeKey(target);
  return transitions;
}

function quoted(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * `synchronous_standby_names` for quorum commit: `ANY numsync (...)`, the strict-mode placeholder when
 * there is no standby and commits must still wait, empty otherwise.
 */
export function quorumStandbyNames(
  standbyNames: QuorumStandbyNames,
  strictPlaceholder: string | undefined,
): string {
  const listed = sorted(standbyNames.names);
  if (listed.length === 0 || standbyNames.numsync <= 0) {
    return strictPlaceholder === undefined ? '' : `ANY 1 (${quoted(strictPlaceholder)})`;
  }
  return `ANY ${Math.min(standbyNames.numsync, listed.length)} (${listed.map(quoted).join(',')})`;
}
