/** What the router updater knows of one member: enough to route to it. */
export interface RoutedMember {
  /** As in MemberStatus.role: "primary", "replica", "promoted", "demoted", ... */
  readonly role: string;
  /** As in MemberStatus.state: "running", "stopped", ... */
  readonly state: string;
  /** Where its PostgreSQL listens, from its conn_url; absent when unknown. */
  readonly host?: string;
  readonly port?: number;
}

/**
 * The cluster as the routers should see it. `writable` is the member known to accept writes;
 * `leaving` is a primary that announced its demotion (a switchover started) and takes no new clients.
 */
export interface RouterView {
  readonly writable?: string;
  readonly leaving?: string;
  readonly members: ReadonlyMap<string, RoutedMember>;
}

/**
 * The events that move routers, reduced to what the rules read (kinds as on the event stream), and
 * the switchover request itself (the `failover` key written, then removed), which the leader acts on
 * within milliseconds: the earliest sign that the primary is about to be demoted.
 */
export type RouterInput =
  | { readonly kind: 'switchover_requested'; readonly leader: string }
  | { readonly kind: 'switchover_request_removed'; readonly leader: string }
  | { readonly kind: 'switchover_started'; readonly leader: string }
  | { readonly kind: 'switchover_failed'; readonly leader: string }
  | { readonly kind: 'role_changed'; readonly member: string; readonly toRole: string }
  | { readonly kind: 'state_changed'; readonly member: string; readonly toState: string }
  | { readonly kind: 'lease_lost'; readonly member: string }
  | {
      readonly kind: 'member_joined';
      readonly member: string;
      readonly role: string;
      readonly state: string;
      readonly connUrl: string;
    }
  | { readonly kind: 'member_lost'; readonly member: string };

export const EMPTY_ROUTER_VIEW: RouterView = { members: new Map() };

/** Host and port of a PostgreSQL URL (`postgres://host:port/db`); undefined when it has none. */
export function connAddress(connUrl: string): { host: string; port: number } | undefined {
  const match = /^postgres(?:ql)?:\/\/(?:[^@/]*@)?(\[[^\]]+\]|[^:/?]+)(?::(\d+))?/.exec(connUrl);
  if (!match?.[1]) return undefined;
  return { host: match[1].replace(/^\[|\]$/g, ''), port: match[2] ? Number(match[2]) : 5432 };
}

function withMember(
  view: RouterView,
  name: string,
  change: Partial<RoutedMember>,
): ReadonlyMap<string, RoutedMember> {
  const members = new Map(view.members);
  members.set(name, { role: 'unknown', state: 'unknown', ...members.get(name), ...change });
  return members;
}

/**
 * The view after one event. A member is writable from its role change to primary (published by its
 * agent as soon as PostgreSQL left recovery), or from a primary's return to running, until it stops,
 * loses the lease, leaves or changes role again.
 */
export function nextRouterView(view: RouterView, input: RouterInput): RouterView {
  switch (input.kind) {
    case 'switchover_requested':
      return view.writable === input.leader ? { ...view, leaving: input.leader } : view;
    case 'switchover_request_removed':
      // Removed while the leader still runs as primary: the request was refused or cancelled.
      return view.leaving === input.leader && view.writable === input.leader
        ? { ...view, leaving: undefined }
        : view;
    case 'switchover_started':
      return { ...view, leaving: input.leader };
    case 'switchover_failed':
      return view.leaving === input.leader ? { ...view, leaving: undefined } : view;
    case 'role_changed': {
      const members = withMember(view, input.member, { role: input.toRole });
      if (input.toRole === 'primary') {
        const leaving = view.leaving === input.member ? undefined : view.leaving;
        return { members, writable: input.member, leaving };
      }
      return {
        members,
        writable: view.writable === input.member ? undefined : view.writable,
        leaving: view.leaving === input.member ? undefined : view.leaving,
      };
    }
    case 'state_changed': {
      const members = withMember(view, input.member, { state: input.toState });
      const running = input.toState === 'running';
      // A primary that starts again (a switchover abandoned after the stop) is writable once running.
      const writable =
        running && members.get(input.member)?.role === 'primary'
          ? input.member
          : view.writable === input.member && !running
            ? undefined
            : view.writable;
      return { ...view, members, writable };
    }
    case 'lease_lost':
      return view.writable === input.member ? { ...view, writable: undefined } : view;
    case 'member_joined':
      return {
        ...view,
        members: withMember(view, input.member, {
          role: input.role,
          state: input.state,
          ...connAddress(input.connUrl),
        }),
      };
    case 'member_lost': {
      const members = new Map(view.members);
      members.delete(input.member);
      return {
        members,
        writable: view.writable === input.member ? undefined : view.writable,
        leaving: view.leaving === input.member ? undefined : view.leaving,
      };
    }
  }
}
