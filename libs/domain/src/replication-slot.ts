/**
 * The physical replication slot a member streams through: Patroni's slot_name_from_member_name.
 * Slot names allow only lower-case letters, digits and underscores, at most 63 characters.
 */
export function slotNameForMember(member: string): string {
  return member
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 63);
}

/** A replication slot as pg_replication_slots lists it. */
export interface ExistingSlot {
  readonly name: string;
  readonly type: string;
  readonly active: boolean;
  readonly database: string | undefined;
  readonly plugin: string | undefined;
}

export interface SlotUpkeepFacts {
  readonly slots: readonly ExistingSlot[];
  /** This member runs as primary: the slots of the members that stream from it are wanted. */
  readonly primary: boolean;
  readonly self: string;
  /** Members whose status is current (younger than ttl). */
  readonly liveMembers: readonly string[];
  /** The dynamic configuration's permanent `slots`, by name. */
  readonly permanent: readonly string[];
  /** The dynamic configuration's `ignore_slots` matchers. */
  readonly ignore: readonly Readonly<Record<string, unknown>>[];
  /** When each slot was first seen unwanted, from the previous round. */
  readonly unwantedSince: ReadonlyMap<string, number>;
  readonly nowMs: number;
  readonly memberSlotsTtlMs: number;
}

export interface SlotUpkeepPlan {
  readonly drop: readonly string[];
  readonly unwantedSince: ReadonlyMap<string, number>;
}

/** Patroni's ignore_slots: a slot matches when every attribute the matcher names is equal. */
function ignored(slot: ExistingSlot, matchers: SlotUpkeepFacts['ignore']): boolean {
  const attributes: Record<string, unknown> = {
    name: slot.name,
    type: slot.type,
    database: slot.database,
    plugin: slot.plugin,
  };
  return matchers.some((matcher) => {
    const keys = Object.keys(matcher);
    return keys.length > 0 && keys.every((key) => matcher[key] === attributes[key]);
  });
}

/**
 * Which physical slots to drop (Patroni's member_slots_ttl): an inactive physical slot that is neither
 * permanent, nor ignored, nor (on the primary) the slot of a live member is dropped once it has stayed
 * unwanted for member_slots_ttl. This frees the WAL that slots of departed members, or slots a former
 * primary still holds after it rejoined as a replica, would keep forever. Logical slots are left alone.
 */
export function planSlotUpkeep(facts: SlotUpkeepFacts): SlotUpkeepPlan {
  const wanted = new Set(facts.permanent);
  if (facts.primary) {
    for (const member of facts.liveMembers) {
      if (member !== facts.self) wanted.add(slotNameForMember(member));
    }
  }
  const drop: string[] = [];
  const unwantedSince = new Map<string, number>();
  for (const slot of facts.slots) {
    if (slot.type !== 'physical' || slot.active || wanted.has(slot.name)) continue;
    if (ignored(slot, facts.ignore)) continue;
    const since = facts.unwantedSince.get(slot.name) ?? facts.nowMs;
    if (facts.nowMs - since >= facts.memberSlotsTtlMs) drop.push(slot.name);
    else unwantedSince.set(slot.name, since);
  }
  return { drop, unwantedSince };
}
