import type { TextTable } from './text-table.ts';

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
  readonly pending_restart?: boolean;
  readonly scheduled_restart?: { readonly schedule?: string };
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

/** A row of `natronictl list`, keyed like patronictl's `list -f json`. */
export type MemberRow = Record<string, string | number>;

const LEADER_ROLES = new Set(['leader', 'standby_leader']);
const MEBIBYTE = 1024 * 1024;

export function leaderOf(cluster: ClusterDocument): ClusterMember | undefined {
  return cluster.members.find((member) => LEADER_ROLES.has(member.role));
}

/** "sync_standby" → "Sync Standby", as patronictl shows roles. */
export function roleLabel(role: string): string {
  return role
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(' ');
}

function lagInMb(member: ClusterMember): string | number {
  if (LEADER_ROLES.has(member.role) || member.lag === undefined) return '';
  return member.lag === 'unknown' ? 'unknown' : Math.round(member.lag / MEBIBYTE);
}

function hostOf(member: ClusterMember): string {
  if (member.host === undefined) return '';
  return member.port === undefined ? member.host : `${member.host}:${member.port}`;
}

function row(cluster: ClusterDocument, member: ClusterMember, label: string): MemberRow {
  const result: MemberRow = {
    Cluster: cluster.scope,
    Member: label,
    Host: hostOf(member),
    Role: roleLabel(member.role),
    State: member.state,
    TL: member.timeline ?? '',
    'Lag in MB': lagInMb(member),
  };
  if (member.pending_restart) result['Pending restart'] = '*';
  if (member.scheduled_restart?.schedule)
    result['Scheduled restart'] = member.scheduled_restart.schedule;
  return result;
}

/** `natronictl list`: every member in name order. */
export function listRows(cluster: ClusterDocument): MemberRow[] {
  return [...cluster.members]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((member) => row(cluster, member, member.name));
}

/**
 * `natronictl topology`: the leader first, each replica under the member it replicates from (its
 * `replicatefrom` tag, else the leader), indented with "+ " per level as patronictl does.
 */
export function topologyRows(cluster: ClusterDocument): MemberRow[] {
  const names = new Set(cluster.members.map((member) => member.name));
  const leader = leaderOf(cluster);
  const upstreamOf = (member: ClusterMember): string | undefined => {
    if (member === leader) return undefined;
    const tagged = member.tags?.['replicatefrom'];
    if (typeof tagged === 'string' && names.has(tagged) && tagged !== member.name) return tagged;
    return leader?.name;
  };
  const sorted = [...cluster.members].sort((a, b) => a.name.localeCompare(b.name));
  const rows: MemberRow[] = [];
  const placed = new Set<string>();
  const place = (member: ClusterMember, depth: number): void => {
    if (placed.has(member.name)) return;
    placed.add(member.name);
    rows.push(
      row(
        cluster,
        member,
        `${'  '.repeat(Math.max(0, depth - 1))}${depth ? '+ ' : ''}${member.name}`,
      ),
    );
    for (const child of sorted.filter((other) => upstreamOf(other) === member.name))
      place(child, depth + 1);
  };
  if (leader) place(leader, 0);
  // Members without a path to the leader (no leader, or a replicatefrom loop) follow at the top level.
  for (const member of sorted) place(member, 0);
  return rows;
}

const RIGHT_ALIGNED = new Set(['TL', 'Lag in MB']);

/** The rows as patronictl's table, the cluster's name in the top border. */
export function memberTable(cluster: ClusterDocument, rows: readonly MemberRow[]): TextTable {
  const headers = ['Member', 'Host', 'Role', 'State', 'TL', 'Lag in MB'];
  for (const optional of ['Pending restart', 'Scheduled restart'])
    if (rows.some((item) => item[optional] !== undefined)) headers.push(optional);
  return {
    title: `Cluster: ${cluster.scope}`,
    columns: headers.map((header) => ({
      header,
      align: RIGHT_ALIGNED.has(header) ? 'right' : 'left',
    })),
    rows: rows.map((item) => headers.map((header) => String(item[header] ?? ''))),
  };
}

/** The lines patronictl prints under the table: maintenance mode, a scheduled switchover. */
export function clusterFooter(cluster: ClusterDocument): string[] {
  const lines: string[] = [];
  if (cluster.pause) lines.push(' Maintenance mode: on');
  const scheduled = cluster.scheduled_switchover;
  if (scheduled) {
    lines.push(' Switchover scheduled at: ' + scheduled.at);
    if (scheduled.from) lines.push('                    from: ' + scheduled.from);
    if (scheduled.to) lines.push('                      to: ' + scheduled.to);
  }
  return lines;
}
