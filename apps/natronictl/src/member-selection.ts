import { Option } from 'commander';
import { CliFailure } from './exit-code.ts';
import { leaderOf, type ClusterDocument, type ClusterMember } from './format/index.ts';

/** patronictl's `-r/--role` choices; `master` is patronictl 3's name for `primary`. */
export const CTL_ROLES = [
  'leader',
  'primary',
  'standby-leader',
  'replica',
  'standby',
  'any',
] as const;
export type CtlRole = (typeof CTL_ROLES)[number];

export function roleOption(description: string, defaultRole?: CtlRole): Option {
  const option = new Option('-r, --role <role>', description)
    .choices([...CTL_ROLES, 'master'])
    .argParser((value: string) => (value === 'master' ? 'primary' : value));
  return defaultRole === undefined ? option : option.default(defaultRole);
}

/** patronictl's `get_all_members`: the members a role selects. */
export function membersWithRole(cluster: ClusterDocument, role: CtlRole): ClusterMember[] {
  const leader = leaderOf(cluster);
  if (role === 'leader' || role === 'primary' || role === 'standby-leader') {
    if (!leader) return [];
    const standby = leader.role === 'standby_leader';
    const fits = role === 'leader' || (role === 'primary' ? !standby : standby);
    return fits ? [leader] : [];
  }
  const sorted = [...cluster.members].sort((a, b) => a.name.localeCompare(b.name));
  return role === 'any' ? sorted : sorted.filter((member) => member !== leader);
}

/**
 * patronictl's `get_members` after its questions: the named members that the role selects (every
 * such member when none is named); each name must be a member of the cluster.
 */
export function selectMembers(
  cluster: ClusterDocument,
  names: readonly string[],
  role: CtlRole,
): ClusterMember[] {
  const selected = membersWithRole(cluster, role);
  if (names.length === 0 && selected.length === 0)
    throw new CliFailure(`${cluster.scope} cluster doesn't have any members`);
  if (names.length === 0) return selected;
  const chosen = selected.filter((member) => names.includes(member.name));
  if (chosen.length === 0) throw new CliFailure(`No '${role}' among provided members`);
  return chosen;
}

/** patronictl's `get_any_member`: the leader by default, the first member with the role, or one by name. */
export function anyMember(
  cluster: ClusterDocument,
  role: CtlRole | undefined,
  name: string | undefined,
): ClusterMember | undefined {
  if (name !== undefined && role !== undefined)
    throw new CliFailure('--role and --member are mutually exclusive options');
  const candidates = membersWithRole(cluster, name !== undefined ? 'any' : (role ?? 'leader'));
  return candidates.find((member) => name === undefined || member.name === name);
}
