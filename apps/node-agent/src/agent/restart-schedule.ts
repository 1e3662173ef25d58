import { create } from '@bufbuild/protobuf';
import { ScheduledRestartSchema, type ScheduledRestart } from '../../../../libs/proto/src/index.ts';

/** The restart scheduled on this member, run by a timer at its time (Patroni keeps one at most). */
export class RestartSchedule {
  private scheduled: { record: ScheduledRestart; timer: ReturnType<typeof setTimeout> } | undefined;

  get current(): ScheduledRestart | undefined {
    return this.scheduled?.record;
  }

  /** False when a restart is already scheduled. */
  schedule(
    at: Date,
    record: Omit<ScheduledRestart, '$typeName' | '$unknown'>,
    run: () => void,
  ): boolean {
    if (this.scheduled) return false;
    const timer = setTimeout(
      () => {
        this.scheduled = undefined;
        run();
      },
      Math.max(0, at.getTime() - Date.now()),
    );
    this.scheduled = { record: create(ScheduledRestartSchema, record), timer };
    return true;
  }

  cancel(): boolean {
    if (!this.scheduled) return false;
    clearTimeout(this.scheduled.timer);
    this.scheduled = undefined;
    return true;
  }
}
