import { TestEnvironment } from 'jest-environment-node';

/**
 * Jest's Node environment that marks the test file's global once a test or hook fails, so that the
 * e2e clusters can print what their services logged before they are removed (see failure-digest.ts).
 */
export default class FailureFlagEnvironment extends TestEnvironment {
  handleTestEvent(event: { name: string }): void {
    if (event.name === 'test_fn_failure' || event.name === 'hook_failure') {
      this.global.natroniTestFailed = true;
    }
  }
}
