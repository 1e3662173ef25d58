import { beginTestRun } from '../libs/harness/src/test-run-dir.ts';

export default async function globalSetup(): Promise<void> {
  await beginTestRun();
}
