import { Gauge, type Registry } from 'prom-client';
import type { LeaseRecord } from '../../../libs/proto/src/index.ts';

/** The leader key as the scrape finds it: the lease's term, which each new acquisition raises. */
export class LeaseMetrics {
  private readonly term: Gauge<'scope'>;

  constructor(
    registry: Registry,
    private readonly scope: string,
  ) {
    this.term = new Gauge({
      name: 'natroni_lease_term',
      help: 'Term of the leader lease (raised by every new acquisition), 0 when no member holds it.',
      labelNames: ['scope'],
      registers: [registry],
    });
    this.term.set({ scope }, 0);
  }

  update(lease: LeaseRecord | undefined): void {
    this.term.set({ scope: this.scope }, lease?.term ?? 0);
  }
}
