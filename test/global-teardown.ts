import { endTestRun } from '../libs/harness/src/test-run-dir.ts';

/** The last sweep: a test file that crashed must not leak a server into the next run. */
export default async function globalTeardown(): Promise<void> {
  const killed = await endTestRun();
  for (const { pid, commandLine } of killed) {
    console.warn(`global teardown killed a leftover server: ${pid} ${commandLine}`);
  }
}
