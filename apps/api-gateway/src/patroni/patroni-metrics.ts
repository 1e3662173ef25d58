import { Counter, Gauge, Registry } from 'prom-client';
import {
  PATRONI_METRICS,
  patroniMetricValues,
  withPostgresStateValues,
  type ClusterFacts,
  type MemberFacts,
} from '../../../../libs/domain/src/index.ts';

/** One prom-client registry per member, labelled `{scope, name}` as Patroni labels its samples. */
export class PatroniMetrics {
  private readonly registry = new Registry();
  private readonly gauges = new Map<string, Gauge>();
  private readonly counters = new Map<string, Counter>();

  constructor(scope: string, member: string) {
    this.registry.setDefaultLabels({ scope, name: member });
    for (const { name, type, help } of PATRONI_METRICS) {
      if (type === 'counter')
        this.counters.set(name, new Counter({ name, help, registers: [this.registry] }));
      else this.gauges.set(name, new Gauge({ name, help, registers: [this.registry] }));
    }
  }

  async render(member: MemberFacts, cluster: ClusterFacts): Promise<string> {
    for (const [name, value] of Object.entries(patroniMetricValues(member, cluster))) {
      const counter = this.counters.get(name);
      if (counter) {
        counter.reset();
        counter.inc(Math.max(0, value));
      } else this.gauges.get(name)?.set(value);
    }
    return withPostgresStateValues(await this.registry.metrics());
  }
}
