import { pythonYaml, type OutputFormat } from './output-format.ts';
import type { Cell, Tabular } from './tabular-output.ts';

/** One member of the gateway's `GET /cluster` (Patroni's shape). */
export interface ClusterMember {
  readonly name: string;
  readonly role: string;
  readonly state: string;
  readonly api_url?: string;
  readonly host?: string;
  readonly port?: number;
  readonly timeline?: number;
  readonly lag?: number | 'unknown';
  readonly receive_lsn?: string;
  readonly receive_lag?: number | 'unknown';
  readonly replay_lsn?: string;
  readonly replay_lag?: number | 'unknown';
  readonly pending_restart?: boolean;
  readonly pending_restart_reason?: Readonly<
    Record<string, { readonly old_value: string; readonly new_value: string }>
  >;
  readonly scheduled_restart?: { readonly schedule?: string; readonly postgres_version?: string };
  readonly tags?: Readonly<Record<string, unknown>>;
}

export interface ClusterDocument {
  readonly members: readonly ClusterMember[];
  readonly scope: string;
  readonly pause?: boolean;
  readonly scheduled_switchover?: {
    readonly at: string;
    readonly from?: string;
    readonly to?: string;
  };
}

const LEADER_ROLES = new Set(['leader', 'standby_leader']);
const MEBIBYTE = 1024 * 1024;
const BASE_COLUMNS = [
  'Cluster',
  'Member',
  'Host',
  'Role',
  'State',
  'TL',
  'Receive LSN',
  'Receive Lag',
  'Replay LSN',
  'Replay Lag',
];
const EXTENDED_COLUMNS = ['Pending restart', 'Pending restart reason', 'Scheduled restart', 'Tags'];
const RIGHT_ALIGNED = new Set(['TL', 'Receive LSN', 'Receive Lag', 'Replay LSN', 'Replay Lag']);

export function leaderOf(cluster: ClusterDocument): ClusterMember | undefined {
  return cluster.members.find((member) => LEADER_ROLES.has(member.role));
}

/** "sync_standby" → "Sync Standby", as patronictl shows roles. */
export function roleLabel(role: string): string {
  return role
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1).toLowerCase())
    .join(' ');
}

/** Python's round(): halves go to the even neighbour. */
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}

/** A lag in bytes as whole MB; unknown is left empty, as patronictl shows it. */
function lagInMb(lag: number | 'unknown' | undefined): Cell {
  if (typeof lag === 'number') return roundHalfEven(lag / MEBIBYTE);
  return '';
}

function pendingReason(member: ClusterMember, format: OutputFormat): string {
  const shorten = format === 'pretty';
  return Object.entries(member.pending_restart_reason ?? {})
    .map(([name, values]) => {
      const full = `${name}: ${values.old_value}->${values.new_value}`;
      return !shorten || full.length <= 50 ? full : `${name}: [hidden - too long]`;
    })
    .join('\n');
}

function scheduledRestart(member: ClusterMember): string {
  const restart = member.scheduled_restart;
  if (!restart?.schedule) return '';
  return restart.postgres_version
    ? `${restart.schedule} if version < ${restart.postgres_version}`
    : restart.schedule;
}

function tagsCell(member: ClusterMember, format: OutputFormat): Cell {
  const tags = member.tags;
  if (!tags || Object.keys(tags).length === 0) return '';
  if (format === 'pretty') return pythonYaml(tags);
  if (format === 'tsv') return JSON.stringify(tags, null, 1).replace(/\n\s*/g, ' ');
  return tags;
}

/** Host, with the port when any member runs on another port than 5432 or two share a host. */
function hostColumn(members: readonly ClusterMember[]): (member: ClusterMember) => string {
  const hosts = members.filter((member) => member.host !== undefined);
  const withPort =
    hosts.some((member) => member.port !== undefined && member.port !== 5432) ||
    new Set(hosts.map((member) => member.host)).size < hosts.length;
  return (member) =>
    withPort && member.host && member.port ? `${member.host}:${member.port}` : (member.host ?? '');
}

/** The leader first, then each member under the one it replicates from, as patronictl's topology. */
function topologyOrder(cluster: ClusterDocument): { member: ClusterMember; depth: number }[] {
  const names = new Set(cluster.members.map((member) => member.name));
  const leader = leaderOf(cluster);
  const upstreamOf = (member: ClusterMember): string | undefined => {
    if (member === leader) return undefined;
    const tagged = member.tags?.['replicatefrom'];
    if (typeof tagged === 'string' && names.has(tagged) && tagged !== member.name) return tagged;
    return leader?.name;
  };
  const sorted = [...cluster.members].sort((a, b) => a.name.localeCompare(b.name));
  const order: { member: ClusterMember; depth: number }[] = [];
  const placed = new Set<string>();
  const place = (member: ClusterMember, depth: number): void => {
    if (placed.has(member.name)) return;
    placed.add(member.name);
    order.push({ member, depth });
    for (const child of sorted.filter((other) => upstreamOf(other) === member.name))
      place(child, depth + 1);
  };
  if (leader) place(leader, 0);
  // Members without a path to the leader (no leader, or a replicatefrom loop) follow at the top level.
  for (const member of sorted) place(member, 0);
  return order;
}

export interface MemberListing {
  /** The cluster's system identifier, written in the title; "uninitialized" when unknown. */
  readonly systemId?: string;
  readonly extended?: boolean;
  /** The members as a replication tree (`topology`) rather than in name order. */
  readonly topology?: boolean;
}

/** patronictl 4's `list` (and `topology`): its columns, in the format asked for. */
export function memberListing(
  cluster: ClusterDocument,
  format: OutputFormat,
  listing: MemberListing = {},
): Tabular {
  const members = listing.topology
    ? topologyOrder(cluster)
    : [...cluster.members]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((member) => ({ member, depth: 0 }));
  const hasValue: Record<string, (member: ClusterMember) => boolean> = {
    'Pending restart': (member) => member.pending_restart === true,
    'Pending restart reason': (member) =>
      Object.keys(member.pending_restart_reason ?? {}).length > 0,
    'Scheduled restart': (member) => Boolean(member.scheduled_restart),
    Tags: (member) => Object.keys(member.tags ?? {}).length > 0,
  };
  const columns = [
    ...BASE_COLUMNS,
    ...EXTENDED_COLUMNS.filter(
      (column) => listing.extended || cluster.members.some((member) => hasValue[column]?.(member)),
    ),
  ];
  const host = hostColumn(cluster.members);
  const rows = members.map(({ member, depth }) => {
    const values: Record<string, Cell> = {
      Cluster: cluster.scope,
      Member: `${'  '.repeat(Math.max(0, depth - 1))}${depth ? '+ ' : ''}${member.name}`,
      Host: host(member),
      Role: roleLabel(member.role),
      State: member.state,
      TL: member.timeline ?? '',
      'Receive LSN': member.receive_lsn ?? '',
      'Receive Lag': lagInMb(member.receive_lag),
      'Replay LSN': member.replay_lsn ?? '',
      'Replay Lag': lagInMb(member.replay_lag),
      'Pending restart': member.pending_restart ? '*' : '',
      'Pending restart reason': pendingReason(member, format),
      'Scheduled restart': scheduledRestart(member),
      Tags: tagsCell(member, format),
    };
    return columns.map((column) => values[column] ?? '');
  });
  return {
    columns,
    rows,
    title: `Cluster: ${cluster.scope} (${listing.systemId ?? 'uninitialized'})`,
    rightAligned: RIGHT_ALIGNED,
    tableHeaders: { 'Receive Lag': 'Lag', 'Replay Lag': 'Lag' },
  };
}

/** The lines patronictl prints under the table: maintenance mode, a scheduled switchover. */
export function clusterFooter(cluster: ClusterDocument): string[] {
  const info: string[] = [];
  if (cluster.pause) info.push('Maintenance mode: on');
  const scheduled = cluster.scheduled_switchover;
  if (scheduled) {
    let text = 'Switchover scheduled at: ' + scheduled.at;
    if (scheduled.from) text += `\n${'from'.padStart(24)}: ${scheduled.from}`;
    if (scheduled.to) text += `\n${'to'.padStart(24)}: ${scheduled.to}`;
    info.push(text);
  }
  return info.length === 0 ? [] : [' ' + info.join('\n ')];
}
