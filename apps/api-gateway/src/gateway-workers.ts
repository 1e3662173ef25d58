import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import type { HttpSettings } from '../../../libs/service-settings/src/index.ts';

const READY_MESSAGE = 'natroni:gateway-worker-ready';

/**
 * How long stopping workers get before they are killed (a worker's NATS drain alone may take 3 s); with
 * the wait after the kill, well within the 10 s the test harness gives a service to stop.
 */
const STOP_GRACE_MS = 6_000;
const KILLED_EXIT_WAIT_MS = 2_000;
const FIRST_RESTART_DELAY_MS = 1_000;
const MAX_RESTART_DELAY_MS = 30_000;
/** A worker that ran this long before dying is replaced after the first delay again. */
const STABLE_RUN_MS = 60_000;

export interface GatewayWorkersOptions {
  readonly workers: number;
  readonly http: HttpSettings;
  readonly log: Logger;
}

interface Slot {
  worker: Worker | undefined;
  ready: boolean;
  startedAt: number;
  restartDelayMs: number;
  restart: NodeJS.Timeout | undefined;
}

/** Tells the cluster primary that this worker's listeners are bound and its cluster view is open. */
export function reportWorkerReady(): void {
  process.send?.(READY_MESSAGE);
}

/**
 * The gateway as `workers` processes sharing its listeners through node:cluster; this process, the
 * primary, runs no application. It logs `api-gateway ready` once every worker has reported ready,
 * forwards SIGTERM and SIGINT and exits once all workers have (0 when every serving worker stopped cleanly,
 * 1 when one did not or had to be killed), and replaces a worker that dies, after a delay that doubles while replacements keep
 * dying young. A worker that dies before any worker was ready fails the start with exit code 1, as a
 * single process would; once one serves, the listeners answer and a worker failing to boot is replaced.
 */
export function runGatewayWorkers(options: GatewayWorkersOptions): void {
  new GatewayWorkers(options).start();
}

class GatewayWorkers {
  private readonly slots: Slot[];
  private serving = false;
  private ready = false;
  private stopSignal: NodeJS.Signals | undefined;
  private exitCode = 0;

  constructor(private readonly options: GatewayWorkersOptions) {
    this.slots = Array.from({ length: options.workers }, () => ({
      worker: undefined,
      ready: false,
      startedAt: 0,
      restartDelayMs: 0,
      restart: undefined,
    }));
  }

  start(): void {
    process.on('SIGTERM', () => this.stop('SIGTERM', 0));
    process.on('SIGINT', () => this.stop('SIGINT', 0));
    this.options.log.info({ workers: this.options.workers }, 'api-gateway starting its workers');
    for (const slot of this.slots) this.fork(slot);
  }

  private fork(slot: Slot): void {
    const worker = cluster.fork();
    slot.worker = worker;
    slot.startedAt = performance.now();
    worker.on('message', (message: unknown) => {
      if (message === READY_MESSAGE) this.workerReady(slot, worker);
    });
    worker.on('exit', (code: number | null, signal: NodeJS.Signals | null) =>
      this.workerExited(slot, worker, code, signal),
    );
  }

  private workerReady(slot: Slot, worker: Worker): void {
    slot.ready = true;
    this.serving = true;
    if (this.ready) {
      this.options.log.info(
        { worker: worker.id, workerPid: worker.process.pid },
        'worker replaced',
      );
      return;
    }
    if (!this.slots.every((each) => each.ready)) return;
    this.ready = true;
    const { host, port } = this.options.http;
    this.options.log.info({ host, port, workers: this.slots.length }, 'api-gateway ready');
  }

  private workerExited(
    slot: Slot,
    worker: Worker,
    code: number | null,
    signal: NodeJS.Signals | null,
  ): void {
    const wasServing = slot.ready;
    slot.worker = undefined;
    slot.ready = false;
    const exited = { worker: worker.id, workerPid: worker.process.pid, code, signal };
    if (this.stopSignal !== undefined) {
      // A worker still booting ends by the signal (no handler yet) or with its boot cut short by its own
      // shutdown (exit code 1): it stopped as asked. A serving worker must stop cleanly.
      if (wasServing && code !== 0) {
        this.options.log.warn(exited, 'worker did not stop cleanly');
        this.exitCode = 1;
      }
      if (this.slots.every((each) => each.worker === undefined)) this.exit();
      return;
    }
    if (!this.serving) {
      this.options.log.fatal(exited, 'api-gateway failed to start: a worker exited');
      this.stop('SIGTERM', 1);
      return;
    }
    const ranMs = performance.now() - slot.startedAt;
    slot.restartDelayMs =
      slot.restartDelayMs === 0 || ranMs >= STABLE_RUN_MS
        ? FIRST_RESTART_DELAY_MS
        : Math.min(MAX_RESTART_DELAY_MS, slot.restartDelayMs * 2);
    this.options.log.error(
      { ...exited, restartInMs: slot.restartDelayMs },
      'worker exited unexpectedly: replacing it',
    );
    slot.restart = setTimeout(() => this.fork(slot), slot.restartDelayMs);
  }

  private stop(signal: NodeJS.Signals, exitCode: number): void {
    if (this.stopSignal !== undefined) return;
    this.stopSignal = signal;
    this.exitCode = exitCode;
    const running = this.slots.flatMap((slot) => {
      clearTimeout(slot.restart);
      return slot.worker ? [slot.worker] : [];
    });
    this.options.log.info({ signal, workers: running.length }, 'api-gateway stopping its workers');
    if (running.length === 0) {
      this.exit();
      return;
    }
    for (const worker of running) worker.process.kill(signal);
    setTimeout(() => this.killRemaining(), STOP_GRACE_MS);
  }

  private killRemaining(): void {
    for (const { worker } of this.slots) {
      if (!worker) continue;
      this.options.log.warn(
        { worker: worker.id, workerPid: worker.process.pid, graceMs: STOP_GRACE_MS },
        'worker did not stop in time: killing it',
      );
      worker.process.kill('SIGKILL');
    }
    this.exitCode = 1;
    setTimeout(() => this.exit(), KILLED_EXIT_WAIT_MS);
  }

  private exit(): void {
    this.options.log.info({ exitCode: this.exitCode }, 'api-gateway stopped');
    process.exit(this.exitCode);
  }
}
