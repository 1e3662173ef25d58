import { Counter, Gauge, type Registry } from 'prom-client';
import {
  PATRONI_METRICS,
  patroniMetricValues,
  type ClusterFacts,
  type MemberFacts,
} from '../../../libs/domain/src/index.ts';
import { timestampMs } from '@bufbuild/protobuf/wkt';

const LABELS = ['scope', 'name'] as const;

/**
 * Patroni's per-member metrics (same names, types and HELP texts as its `/metrics`) for every member
 * at once, told apart as Patroni 4 labels them, by `name` beside `scope`; plus the age of each member's last status.
 */
export class PatroniMemberMetrics {
  private readonly gauges = new Map<string, Gauge<(typeof LABELS)[number]>>();
  private readonly counters = new Map<string, Counter<(typeof LABELS)[number]>>();
  private readonly statusAge: Gauge<(typeof LABELS)[number]>;

  constructor(registry: Registry) {
    const registers = [registry];
    for (const { name, type, help } of PATRONI_METRICS) {
      if (type === 'counter')
        this.counters.set(name, new Counter({ name, help, labelNames: LABELS, registers }));
      else this.gauges.set(name, new Gauge({ name, help, labelNames: LABELS, registers }));
    }
    this.statusAge = new Gauge({
      name: 'natroni_member_status_age_seconds',
      help: "Seconds since the member's last status (its updated_at, else when this process received it).",
      labelNames: LABELS,
      registers,
    });
  }

  /** Sets every sample from the cluster as it is now; members without a key disappear. */
  update(members: readonly MemberFacts[], cluster: ClusterFacts, nowWallMs: number): void {
    for (const metric of [...this.gauges.values(), ...this.counters.values(), this.statusAge])
      metric.reset();
    for (const member of members) {
      const labels = { scope: cluster.scope, name: member.name };
      for (const [name, value] of Object.entries(patroniMetricValues(member, cluster))) {
        const counter = this.counters.get(name);
        if (counter) counter.inc(labels, Math.max(0, value));
        else this.gauges.get(name)?.set(labels, value);
      }
      const updatedAt = member.status?.updatedAt;
      const ageMs = updatedAt ? nowWallMs - timestampMs(updatedAt) : member.statusAgeMs;
      if (Number.isFinite(ageMs)) this.statusAge.set(labels, Math.max(0, ageMs) / 1000);
    }
  }
}
