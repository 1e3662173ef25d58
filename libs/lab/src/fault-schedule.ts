/**
 * The faults the lab injects while its writer runs, and the seeded schedule that orders them. Pure:
 * the same seed and options give the same schedule on every machine.
 */
export const FAULT_KINDS = [
  'partition-primary',
  'partition-primary-from-nats-majority',
  'asymmetric-drop-primary',
  'partition-replica',
  'isolate-nats-server',
  'kill-stream-leader',
  'kill-agent',
  'kill-election',
  'kill-gateway',
  'stop-agent',
  'stop-election',
  'stop-gateway',
  'freeze-postgres',
  'netem-primary',
  'switchover',
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultKindInfo {
  readonly description: string;
  /**
   * Whether the fault cuts the primary's PostgreSQL off from its replicas or stops it: only then may an
   * asynchronous failover lose acknowledged writes (within maximum_lag_on_failover).
   */
  readonly touchesPrimaryPostgres: boolean;
}

export const FAULT_KIND_INFO: Readonly<Record<FaultKind, FaultKindInfo>> = {
  'partition-primary': {
    description: "the primary's host is cut from every other host",
    touchesPrimaryPostgres: true,
  },
  'partition-primary-from-nats-majority': {
    description:
      "the primary's host reaches one NATS server and the replicas, not the other two NATS servers",
    touchesPrimaryPostgres: false,
  },
  'asymmetric-drop-primary': {
    description: "everything the primary's host sends is dropped; what it receives still arrives",
    touchesPrimaryPostgres: true,
  },
  'partition-replica': {
    description: "a replica's host is cut from every other host",
    touchesPrimaryPostgres: false,
  },
  'isolate-nats-server': {
    description: 'one NATS server is cut from every other host',
    touchesPrimaryPostgres: false,
  },
  'kill-stream-leader': {
    description: 'kill -9 of the NATS server that leads the KV stream, started again after a pause',
    touchesPrimaryPostgres: false,
  },
  'kill-agent': {
    description:
      "kill -9 of a member's node-agent (the primary's or a replica's), started again after a pause",
    touchesPrimaryPostgres: false,
  },
  'kill-election': {
    description: "kill -9 of a member's election, started again after a pause",
    touchesPrimaryPostgres: false,
  },
  'kill-gateway': {
    description: "kill -9 of a member's api-gateway, started again after a pause",
    touchesPrimaryPostgres: false,
  },
  'stop-agent': {
    description: "SIGSTOP of a member's node-agent for longer than ttl, then SIGCONT",
    touchesPrimaryPostgres: false,
  },
  'stop-election': {
    description: "SIGSTOP of a member's election for longer than ttl, then SIGCONT",
    touchesPrimaryPostgres: false,
  },
  'stop-gateway': {
    description: "SIGSTOP of a member's api-gateway for longer than ttl, then SIGCONT",
    touchesPrimaryPostgres: false,
  },
  'freeze-postgres': {
    description:
      "SIGSTOP of the primary's postmaster and all its children for longer than ttl, as a hung disk",
    touchesPrimaryPostgres: true,
  },
  'netem-primary': {
    description: "30 % packet loss and 200 ms latency on the primary's link (tc netem)",
    touchesPrimaryPostgres: true,
  },
  switchover: {
    description: 'a switchover to a replica through the Patroni API, under load',
    touchesPrimaryPostgres: false,
  },
};

/** Which member a process fault hits: the primary at the time, or one of the replicas. */
export type FaultRole = 'primary' | 'replica';

export interface ScheduledFault {
  readonly index: number;
  readonly kind: FaultKind;
  /** For the process faults; the others have a fixed target. */
  readonly role?: FaultRole;
  /** A number in [0, 1) to pick among several equal targets (which replica, which NATS server). */
  readonly pick: number;
}

const PROCESS_KINDS = new Set<FaultKind>([
  'kill-agent',
  'kill-election',
  'kill-gateway',
  'stop-agent',
  'stop-election',
  'stop-gateway',
]);

/** mulberry32: a small, well-mixed 32-bit generator, enough to order faults reproducibly. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` faults drawn from `kinds` in rounds: every round is a fresh shuffle of all the kinds, so that a
 * run of N faults holds each kind N / kinds times, give or take one, in a seeded order.
 */
export function faultSchedule(
  count: number,
  seed: number,
  kinds: readonly FaultKind[] = FAULT_KINDS,
): ScheduledFault[] {
  const random = seededRandom(seed);
  const schedule: ScheduledFault[] = [];
  while (schedule.length < count) {
    const round = [...kinds];
    for (let i = round.length - 1; i > 0; i -= 1) {
      const j = Math.floor(random() * (i + 1));
      [round[i], round[j]] = [round[j], round[i]];
    }
    for (const kind of round) {
      if (schedule.length === count) break;
      const role: FaultRole | undefined = PROCESS_KINDS.has(kind)
        ? random() < 0.5
          ? 'primary'
          : 'replica'
        : undefined;
      schedule.push({ index: schedule.length, kind, pick: random(), ...(role ? { role } : {}) });
    }
  }
  return schedule;
}

export function isFaultKind(text: string): text is FaultKind {
  return (FAULT_KINDS as readonly string[]).includes(text);
}
