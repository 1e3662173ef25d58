/** One failed attempt to bring a router up to date. */
export interface RouterFailure {
  readonly router: string;
  readonly routerKind: 'haproxy' | 'pgbouncer';
  readonly address: string;
  readonly error: string;
  readonly attempt: number;
  readonly retryInMs: number;
}

export interface RouterLinkOptions<Wanted> {
  readonly router: string;
  readonly routerKind: RouterFailure['routerKind'];
  readonly address: string;
  readonly retryIntervalMs: number;
  /** Brings the router to `wanted`; rejects when it could not. */
  readonly apply: (wanted: Wanted) => Promise<void>;
  readonly onFailure: (failure: RouterFailure) => void;
  readonly onApplied: (wanted: Wanted, attempts: number) => void;
}

/**
 * Keeps one router on the latest wanted state: one attempt at a time, the newest state once the
 * attempt in progress ends, and after a failure another attempt every `retryIntervalMs` until one
 * succeeds. Nothing waits on it: a router that cannot be reached only delays itself.
 */
export class RouterLink<Wanted> {
  private wanted: Wanted | undefined;
  private running = false;
  private dirty = false;
  private failures = 0;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private idle: Promise<void> = Promise.resolve();

  constructor(private readonly options: RouterLinkOptions<Wanted>) {}

  set(wanted: Wanted): void {
    this.wanted = wanted;
    this.dirty = true;
    if (!this.running && this.retry === undefined) this.idle = this.run();
  }

  /** Stops retrying and waits for the attempt in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.idle;
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.dirty && !this.stopped && this.wanted !== undefined) {
        this.dirty = false;
        const wanted = this.wanted;
        try {
          await this.options.apply(wanted);
          this.options.onApplied(wanted, this.failures + 1);
          this.failures = 0;
        } catch (error) {
          this.failures += 1;
          const { router, routerKind, address, retryIntervalMs } = this.options;
          this.options.onFailure({
            router,
            routerKind,
            address,
            error: error instanceof Error ? error.message : String(error),
            attempt: this.failures,
            retryInMs: retryIntervalMs,
          });
          this.dirty = true;
          if (!this.stopped) {
            this.retry = setTimeout(() => {
              this.retry = undefined;
              if (!this.running) this.idle = this.run();
            }, retryIntervalMs);
          }
          return;
        }
      }
    } finally {
      this.running = false;
    }
  }
}
