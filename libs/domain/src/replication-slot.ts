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
