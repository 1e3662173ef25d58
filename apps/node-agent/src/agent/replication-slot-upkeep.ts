import { Logger } from '@nestjs/common';
import type pg from 'pg';
import { planSlotUpkeep } from '../../../../libs/domain/src/index.ts';
import type { ClusterObserver } from './cluster-observer.ts';
import type { PostgresStateMachine } from './postgres-state-machine.ts';

const UPKEEP_INTERVAL_MS = 5_000;

interface SlotRow {
  slot_name: string;
  slot_type: string;
  active: boolean;
  database: string | null;
  plugin: string | null;
}

/**
 * Drops the physical replication slots nobody will stream from again (Patroni's member_slots_ttl): those
 * of members gone for longer than member_slots_ttl, and those a former primary kept after it rejoined as
 * a replica. Left in place, each holds back WAL removal for good.
 */
export class ReplicationSlotUpkeep {
  private readonly logger = new Logger('ReplicationSlotUpkeep');
  private unwantedSince: ReadonlyMap<string, number> = new Map();
  private timer: ReturnType<typeof setInterval> | undefined;
  private round: Promise<void> | undefined;

  constructor(
    private readonly member: string,
    private readonly cluster: ClusterObserver,
    private readonly machine: PostgresStateMachine,
    private readonly pool: pg.Pool,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.round ??= this.upkeep().finally(() => (this.round = undefined));
    }, UPKEEP_INTERVAL_MS);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.round;
  }

  private async upkeep(): Promise<void> {
    if (this.machine.state !== 'running' || !this.cluster.useSlots) return;
    try {
      const { rows } = await this.pool.query<SlotRow>(
        'SELECT slot_name, slot_type, active, database, plugin FROM pg_replication_slots',
      );
      const plan = planSlotUpkeep({
        slots: rows.map((row) => ({
          name: row.slot_name,
          type: row.slot_type,
          active: row.active,
          database: row.database ?? undefined,
          plugin: row.plugin ?? undefined,
        })),
        primary: this.machine.role === 'primary',
        self: this.member,
        liveMembers: this.cluster.liveMembers(),
        permanent: this.cluster.permanentSlots,
        ignore: this.cluster.ignoreSlots,
        unwantedSince: this.unwantedSince,
        nowMs: performance.now(),
        memberSlotsTtlMs: this.cluster.memberSlotsTtlMs,
      });
      this.unwantedSince = plan.unwantedSince;
      for (const slot of plan.drop) {
        await this.pool.query('SELECT pg_drop_replication_slot($1)', [slot]);
        this.logger.log({ msg: `dropped replication slot ${slot}: unused for member_slots_ttl` });
      }
    } catch (error) {
      this.logger.warn({ msg: 'replication slot upkeep failed', err: error });
    }
  }
}
