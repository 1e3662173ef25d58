import type { DescMessage } from '@bufbuild/protobuf';
import {
  ClusterStatusSchema,
  DynamicConfigSchema,
  ElectionEndpointSchema,
  FailoverRequestSchema,
  FailsafeTopologySchema,
  HistorySchema,
  InitializeRecordSchema,
  LeaseRecordSchema,
  MemberStatusSchema,
  ServerMonitorLeaseSchema,
  ServerObservationSchema,
  ServerRecordSchema,
  SyncStateSchema,
} from '../../proto/src/index.ts';
import { assertValidName, serverKeyToken, serverNameError } from '../../domain/src/index.ts';

/** One key of the cluster's KV bucket and the proto message its value holds. */
export interface ClusterKey<Desc extends DescMessage> {
  readonly name: string;
  readonly schema: Desc;
}

function clusterKey<Desc extends DescMessage>(name: string, schema: Desc): ClusterKey<Desc> {
  return { name, schema };
}

/** The Patroni DCS keys (reference/patroni-api.md §5.1), one bucket per cluster scope. */
export const ClusterKeys = {
  initialize: clusterKey('initialize', InitializeRecordSchema),
  config: clusterKey('config', DynamicConfigSchema),
  leader: clusterKey('leader', LeaseRecordSchema),
  failover: clusterKey('failover', FailoverRequestSchema),
  sync: clusterKey('sync', SyncStateSchema),
  history: clusterKey('history', HistorySchema),
  status: clusterKey('status', ClusterStatusSchema),
  failsafe: clusterKey('failsafe', FailsafeTopologySchema),
  /** Which gateway monitors the servers natroni does not manage. */
  serverMonitor: clusterKey('server-monitor', ServerMonitorLeaseSchema),
} as const;

export const MEMBER_KEY_PREFIX = 'members.';

export function memberKey(member: string): ClusterKey<typeof MemberStatusSchema> {
  return clusterKey(MEMBER_KEY_PREFIX + assertValidName('member name', member), MemberStatusSchema);
}

export const ELECTION_KEY_PREFIX = 'elections.';

/** Where `member`'s election accepts failsafe notices over HTTP. */
export function electionKey(member: string): ClusterKey<typeof ElectionEndpointSchema> {
  return clusterKey(
    ELECTION_KEY_PREFIX + assertValidName('member name', member),
    ElectionEndpointSchema,
  );
}

export const SERVER_KEY_PREFIX = 'servers.';

/**
 * The `/v1/servers` record of `server`: names match case-insensitively with whitespace as hyphens, so
 * the key holds the normalised name in lower case.
 */
export function serverKey(server: string): ClusterKey<typeof ServerRecordSchema> {
  const error = serverNameError(server);
  if (error) throw new Error(error);
  return clusterKey(SERVER_KEY_PREFIX + serverKeyToken(server), ServerRecordSchema);
}

export const SERVER_STATE_KEY_PREFIX = 'server-states.';

/** What the monitor last saw of `server`, a server natroni does not manage; named as its record is. */
export function serverStateKey(server: string): ClusterKey<typeof ServerObservationSchema> {
  const error = serverNameError(server);
  if (error) throw new Error(error);
  return clusterKey(SERVER_STATE_KEY_PREFIX + serverKeyToken(server), ServerObservationSchema);
}

/** The bucket that holds one cluster's keys: `<namespace>_<scope>`. */
export function clusterBucketName(namespace: string, scope: string): string {
  return `${assertValidName('namespace', namespace)}_${assertValidName('scope', scope)}`;
}
