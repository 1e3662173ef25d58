import type { ClusterView } from '../../../libs/dcs/src/index.ts';
import {
  connAddress,
  type RoutedMember,
  type RouterInput,
  type RouterView,
} from '../../../libs/domain/src/index.ts';
import type { Event } from '../../../libs/proto/src/index.ts';

/** The event as the routing rules read it; undefined for the kinds that move no router. */
export function routerInputOf(event: Event): RouterInput | undefined {
  const { detail, member } = event;
  switch (detail.case) {
    case 'switchoverStarted':
      return { kind: 'switchover_started', leader: detail.value.leader };
    case 'switchoverFailed':
      return { kind: 'switchover_failed', leader: detail.value.leader };
    case 'roleChanged':
      return { kind: 'role_changed', member, toRole: detail.value.toRole };
    case 'stateChanged':
      return { kind: 'state_changed', member, toState: detail.value.toState };
    case 'leaseLost':
      return { kind: 'lease_lost', member };
    case 'memberJoined':
      return { kind: 'member_joined', member, ...detail.value };
    case 'memberLost':
      return { kind: 'member_lost', member };
    default:
      return undefined;
  }
}

/** The routing view of the cluster's keys: the lease holder is writable when its key says it runs as primary. */
export function routerViewOf(cluster: ClusterView): RouterView {
  const members = new Map<string, RoutedMember>();
  for (const [name, { value }] of cluster.members) {
    members.set(name, { role: value.role, state: value.state, ...connAddress(value.connUrl) });
  }
  const leader = cluster.leader?.value.member;
  const status = leader === undefined ? undefined : members.get(leader);
  const writable = status?.role === 'primary' && status.state === 'running' ? leader : undefined;
  return { members, writable };
}
