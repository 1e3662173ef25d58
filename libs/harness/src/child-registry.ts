import type { ChildProcess } from 'node:child_process';

/**
 * Every server the harness starts is registered here, so that it is killed even when a test
 * throws, times out or the process exits without running its afterAll hooks.
 */
const children = new Set<ChildProcess>();
let hooked = false;

function killAll(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
}

export function registerChild(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
  if (hooked) return;
  hooked = true;
  process.once('exit', killAll);
  const signalNumbers = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;
  for (const [signal, number] of Object.entries(signalNumbers)) {
    const terminate = (): void => {
      // A program that handles the signal itself (the local cluster stops its services gracefully)
      // keeps it; otherwise the signal ends the process as it would have, without leaking children.
      if (process.listenerCount(signal) > 1) return;
      killAll();
      process.exit(128 + number);
    };
    process.on(signal, terminate);
  }
}

/** Resolves when the child has exited; SIGKILLs it if it has not exited after `graceMs`. */
export function waitForExit(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
