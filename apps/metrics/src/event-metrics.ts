import { Counter, Histogram, type Registry } from 'prom-client';
import type { Event } from '../../../libs/proto/src/index.ts';

const LATENCY_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const DURATION_BUCKETS_S = [0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300];

/** natroni's own figures, derived from the cluster's events. */
export class EventMetrics {
  private readonly events: Counter<'scope' | 'kind'>;
  private readonly renewals: Counter<'scope' | 'name'>;
  private readonly renewalLatency: Histogram<'scope' | 'name'>;
  private readonly leaseChanges: Counter<'scope' | 'name'>;
  private readonly switchovers: Counter<'scope' | 'outcome'>;
  private readonly switchoverDuration: Histogram<'scope' | 'outcome'>;
  private readonly failovers: Counter<'scope' | 'outcome'>;
  private readonly failoverDuration: Histogram<'scope' | 'outcome'>;

  constructor(
    registry: Registry,
    private readonly scope: string,
  ) {
    const registers = [registry];
    this.events = new Counter({
      name: 'natroni_events_total',
      help: 'Cluster events, by kind.',
      labelNames: ['scope', 'kind'],
      registers,
    });
    this.renewals = new Counter({
      name: 'natroni_lease_renewals_total',
      help: 'Renewals of the leader lease, by the member that renewed it.',
      labelNames: ['scope', 'name'],
      registers,
    });
    this.renewalLatency = new Histogram({
      name: 'natroni_lease_renewal_latency_seconds',
      help: 'Time from sending a lease renewal to its acknowledgement by JetStream.',
      labelNames: ['scope', 'name'],
      buckets: LATENCY_BUCKETS_S,
      registers,
    });
    this.leaseChanges = new Counter({
      name: 'natroni_lease_changes_total',
      help: 'Acquisitions of the leader lease with a new term, by the member that acquired it.',
      labelNames: ['scope', 'name'],
      registers,
    });
    this.switchovers = new Counter({
      name: 'natroni_switchovers_total',
      help: 'Manual switchovers that ended, by outcome (completed or failed).',
      labelNames: ['scope', 'outcome'],
      registers,
    });
    this.switchoverDuration = new Histogram({
      name: 'natroni_switchover_duration_seconds',
      help: 'Time from the start of a switchover to its end, by outcome.',
      labelNames: ['scope', 'outcome'],
      buckets: DURATION_BUCKETS_S,
      registers,
    });
    this.failovers = new Counter({
      name: 'natroni_failovers_total',
      help: 'Failovers (a new leader after the old one was lost), by outcome.',
      labelNames: ['scope', 'outcome'],
      registers,
    });
    this.failoverDuration = new Histogram({
      name: 'natroni_failover_duration_seconds',
      help: 'Time from the old leader known lost to the new primary accepting writes.',
      labelNames: ['scope', 'outcome'],
      buckets: DURATION_BUCKETS_S,
      registers,
    });
    for (const outcome of ['completed', 'failed']) {
      this.switchovers.inc({ scope, outcome }, 0);
      this.switchoverDuration.zero({ scope, outcome });
    }
    this.failovers.inc({ scope, outcome: 'completed' }, 0);
    this.failoverDuration.zero({ scope, outcome: 'completed' });
  }

  record(event: Event): void {
    const scope = this.scope;
    this.events.inc({ scope, kind: event.kind });
    const detail = event.detail;
    switch (detail.case) {
      case 'leaseRenewed':
        this.renewals.inc({ scope, name: event.member });
        this.renewalLatency.observe({ scope, name: event.member }, detail.value.latencyMs / 1000);
        break;
      case 'leaderElected':
        this.leaseChanges.inc({ scope, name: event.member });
        break;
      case 'switchoverCompleted':
      case 'switchoverFailed': {
        const outcome = detail.case === 'switchoverCompleted' ? 'completed' : 'failed';
        this.switchovers.inc({ scope, outcome });
        this.switchoverDuration.observe({ scope, outcome }, detail.value.durationMs / 1000);
        break;
      }
      case 'failover':
        this.failovers.inc({ scope, outcome: 'completed' });
        this.failoverDuration.observe(
          { scope, outcome: 'completed' },
          detail.value.durationMs / 1000,
        );
        break;
      default:
        break;
    }
  }
}
