import type { FaultKind, FaultRole } from './fault-schedule.ts';
import type { ReplicationMode } from './lab-options.ts';

/**
 * What the lab's client recorded, the only evidence the checker reads. Times are milliseconds since the
 * epoch: the hosts are namespaces of one machine and share its clock, so a server's clock_timestamp()
 * and the client's Date.now() are on one time line.
 */

/** A write some member acknowledged: one row of the writer, or one probe insert. */
export interface AcknowledgedWrite {
  readonly member: string;
  readonly sentAt: number;
  /** clock_timestamp() inside the INSERT: the member was writable from here until the acknowledgement. */
  readonly serverAt: number;
  readonly ackAt: number;
  /** The member's timeline when it wrote. */
  readonly timeline: number;
}

export interface WriterAck extends AcknowledgedWrite {
  readonly id: number;
  /** pg_current_wal_lsn() after the insert, as a byte position. */
  readonly lsn: number;
}

export interface LabEvent {
  readonly at: number;
  readonly text: string;
}

export interface FaultRecord {
  readonly index: number;
  readonly kind: FaultKind;
  readonly role?: FaultRole;
  /** What was hit: a member, a NATS server, a process. */
  readonly target: string;
  /** The primary when the fault began. */
  readonly primaryBefore: string;
  readonly startedAt: number;
  /** When the fault was in place (the rules loaded, the signal sent): writes are timed from here. */
  readonly injectedAt: number;
  readonly healedAt: number;
  /** When one primary with every replica streaming and every process healthy was seen again; undefined if never within the bound. */
  readonly healthyAt?: number;
  readonly primaryAfter?: string;
  /** Ids acknowledged to the writer and missing from the primary once healthy, first seen missing after this fault. */
  readonly lostIds: readonly number[];
  /** The WAL bytes between the last surviving acknowledged write and the last lost one (asynchronous failovers). */
  readonly lostBytes: number;
  /** Set when the fault could not be injected as meant (no stream leader known, a failed switchover request). */
  readonly note?: string;
  /** Set when injecting the fault failed: the fault did not happen, and the checker says so. */
  readonly injectionError?: string;
}

export interface MemberFinalState {
  readonly member: string;
  readonly role: 'primary' | 'replica' | 'unreachable';
  readonly rows?: number;
  readonly maxId?: number;
  readonly timeline?: number;
  /** For a replica: it streams from the primary (it is in the primary's pg_stat_replication). */
  readonly streaming?: boolean;
}

export interface LabRecords {
  readonly seed: number;
  readonly mode: ReplicationMode;
  readonly ttlSeconds: number;
  readonly loopWaitSeconds: number;
  readonly retryTimeoutSeconds: number;
  readonly maximumLagOnFailover: number;
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly faults: readonly FaultRecord[];
  readonly writerAcks: readonly WriterAck[];
  readonly probeAcks: readonly AcknowledgedWrite[];
  readonly events: readonly LabEvent[];
  /** Acknowledged ids missing from the final primary at the end. */
  readonly finalLostIds: readonly number[];
  readonly final: readonly MemberFinalState[];
  /** Why the run ended early, when it did. */
  readonly abortedBecause?: string;
}
