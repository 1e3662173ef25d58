/** Member roles, Patroni's `PostgresqlRole`, as a member key's `role`. */
export const MEMBER_ROLES = [
  'primary',
  'replica',
  'standby_leader',
  'uninitialized',
  'demoted',
  'promoted',
] as const;

export type MemberRole = (typeof MEMBER_ROLES)[number];

/** Roles a restart's `role` condition may name. */
export const RESTART_ROLES = ['primary', 'standby_leader', 'replica'] as const;

/** Callbacks receive `primary` instead of `promoted`, as in Patroni. */
export function callbackRole(role: MemberRole): MemberRole {
  return role === 'promoted' ? 'primary' : role;
}
