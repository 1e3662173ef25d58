import { create } from '@bufbuild/protobuf';
import { timerDelayMs } from '../../../../libs/domain/src/index.ts';
import { ScheduledRestartSchema, type ScheduledRestart } from '../../../../libs/proto/src/index.ts';

type ScheduledRestartFields = Omit<ScheduledRestart, '$typeName' | '$unknown'>;

/**
 * The restart scheduled on this member (Patroni keeps one at most), run at its time. The wait goes in
 * steps of at most an hour: a timer handed more than 2^31 ms fires at once, and a wall clock set
 * meanwhile is noticed. `onChange` runs whenever a restart is scheduled, cancelled or started, so the
 * member status that carries it (and from which a restarted agent takes it up again) stays current.
 */
export class RestartSchedule {
  private scheduled: { record: ScheduledRestart; timer: ReturnType<typeof setTimeout> } | undefined;

  constructor(private readonly onChange: () => void = () => undefined) {}

  get current(): ScheduledRestart | undefined {
    return this.scheduled?.record;
  }

  /** False when a restart is already scheduled. */
  schedule(atMs: number, record: ScheduledRestartFields, run: () => void): boolean {
    if (this.scheduled) return false;
    const entry = { record: create(ScheduledRestartSchema, record), timer: this.wait(atMs, run) };
    this.scheduled = entry;
    this.onChange();
    return true;
  }

  cancel(): boolean {
    if (!this.scheduled) return false;
    clearTimeout(this.scheduled.timer);
    this.scheduled = undefined;
    this.onChange();
    return true;
  }

  private wait(atMs: number, run: () => void): ReturnType<typeof setTimeout> {
    return setTimeout(
      () => {
        const entry = this.scheduled;
        if (!entry) return;
        if (Date.now() < atMs) {
          entry.timer = this.wait(atMs, run);
          return;
        }
        this.scheduled = undefined;
        this.onChange();
        run();
      },
      timerDelayMs(atMs, Date.now()),
    );
  }
}
