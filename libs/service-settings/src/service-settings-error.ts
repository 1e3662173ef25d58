/** Raised when the environment cannot configure a service; lists every problem, each naming its variable. */
export class ServiceSettingsError extends Error {
  constructor(
    readonly service: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid settings for ${service}: ${problems.join('; ')}`);
    this.name = 'ServiceSettingsError';
  }
}
