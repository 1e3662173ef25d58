/** Another lifecycle operation holds the lock. */
export class BusyError extends Error {
  constructor(readonly current: string) {
    super(`${current} already in progress`);
    this.name = 'BusyError';
  }
}

/**
 * Serializes the lifecycle operations of one member. A command that finds another one running is
 * answered `busy` at once ("<action> already in progress", as Patroni's 503), so that its sender decides
 * whether to retry; the agent's own reactions (self-fencing, a forced reinitialize) wait their turn.
 */
export class OperationLock {
  private running: string | undefined;
  private held = 0;
  private tail: Promise<unknown> = Promise.resolve();

  get current(): string | undefined {
    return this.running;
  }

  /** Runs `operation` now, or throws BusyError when another one runs or waits. */
  tryRun<T>(name: string, operation: () => Promise<T>): Promise<T> {
    if (this.held > 0) return Promise.reject(new BusyError(this.running ?? 'another action'));
    return this.run(name, operation);
  }

  /** Runs `operation` after those already running or waiting. */
  run<T>(name: string, operation: () => Promise<T>): Promise<T> {
    this.held += 1;
    const result = this.tail.then(async () => {
      this.running = name;
      try {
        return await operation();
      } finally {
        this.running = undefined;
        this.held -= 1;
      }
    });
    this.tail = result.catch(() => undefined);
    return result;
  }
}
