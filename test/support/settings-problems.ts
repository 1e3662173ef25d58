import { ServiceSettingsError } from '../../libs/service-settings/src/index.ts';

/** The problems a settings reader rejects its input with; fails the test if it accepts the input. */
export function settingsProblems(read: () => unknown): readonly string[] {
  try {
    read();
  } catch (error) {
    if (error instanceof ServiceSettingsError) return error.problems;
    throw error;
  }
  throw new Error('expected the settings to be rejected');
}
