import type { RouterView } from './router-view.ts';

/**
 * What the updater sets for one server of one backend through HAProxy's runtime API: `up` and `down`
 * force its health (`set server <b>/<s> health up|down`; the checks keep running and overrule it
 * later), `drain` also keeps the load balancing from choosing it even when its checks pass, and cuts
 * its sessions.
 */
export type ServerSetting = 'up' | 'down' | 'drain';

/** One HAProxy instance's backends as the router updater drives them. */
export interface HaproxyBackends {
  /** The backend (or `listen` section) that routes writes to the primary. */
  readonly primary?: string;
  /** Backends that route reads to the replicas. */
  readonly replicas: readonly string[];
  /** HAProxy's server name per member; a member not listed is a server of the same name. */
  readonly servers: Readonly<Record<string, string>>;
}

export type ServerSettings = ReadonlyMap<string, ServerSetting>;

function serverOf(backends: HaproxyBackends, member: string): string {
  return backends.servers[member] ?? member;
}

/**
 * Every server's setting, keyed `<backend>/<server>`, for the members the updater knows of (and the
 * servers named in the configuration): in the primary backend only the writable member is up, a
 * leaving primary drained, the rest down; in a replicas backend the running replicas are up.
 */
export function serverSettings(view: RouterView, backends: HaproxyBackends): ServerSettings {
  const members = new Set([...view.members.keys(), ...Object.keys(backends.servers)]);
  const settings = new Map<string, ServerSetting>();
  for (const member of [...members].sort()) {
    const server = serverOf(backends, member);
    if (backends.primary !== undefined) {
      const primary: ServerSetting =
        member === view.leaving ? 'drain' : member === view.writable ? 'up' : 'down';
      settings.set(`${backends.primary}/${server}`, primary);
    }
    const status = view.members.get(member);
    const replica = status?.role === 'replica' && status.state === 'running' ? 'up' : 'down';
    for (const backend of backends.replicas) settings.set(`${backend}/${server}`, replica);
  }
  return settings;
}

/**
 * `state ready` comes before `health down`: HAProxy ignores a forced health in maintenance and counts
 * a server UP when it leaves maintenance, whereas a drained server forced down stays DOWN when ready.
 */
function commandsFor(server: string, setting: ServerSetting): string[] {
  switch (setting) {
    case 'drain':
      return [
        `set server ${server} state drain`,
        `set server ${server} health down`,
        `shutdown sessions server ${server}`,
      ];
    case 'down':
      return [`set server ${server} state ready`, `set server ${server} health down`];
    case 'up':
      return [`set server ${server} state ready`, `set server ${server} health up`];
  }
}

/**
 * The runtime API commands that take HAProxy from `applied` to `wanted` (all of `wanted` when nothing
 * is known to be applied). Servers leave before any server enters, so that no two servers are up in
 * the primary backend at once.
 */
export function haproxyCommands(
  applied: ServerSettings | undefined,
  wanted: ServerSettings,
): string[] {
  const changed = [...wanted].filter(([server, setting]) => applied?.get(server) !== setting);
  const leaving = changed.filter(([, setting]) => setting !== 'up');
  const entering = changed.filter(([, setting]) => setting === 'up');
  return [...leaving, ...entering].flatMap(([server, setting]) => commandsFor(server, setting));
}
