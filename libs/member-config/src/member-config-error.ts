/** A member configuration that cannot be used; each problem starts with the key (and variable) it concerns. */
export class MemberConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid configuration in ${source}:\n  ${problems.join('\n  ')}`);
    this.name = 'MemberConfigError';
  }
}
