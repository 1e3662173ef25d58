/** natronictl's exit codes, which scripts can rely on (docs/natronictl.md). */
export const ExitCode = {
  ok: 0,
  /** The gateway answered and refused or failed the request, or the cluster is not in a state that allows it. */
  refused: 1,
  /** Bad command line: unknown command or option, missing argument, malformed --set or patch file. */
  usage: 2,
  /** The gateway or NATS could not be reached (refused connection, unknown host, timeout). */
  unreachable: 3,
  /** A destructive command was not confirmed: the answer was not "y", or there is no terminal and no --force. */
  notConfirmed: 4,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** A failure that ends natronictl with `exitCode` after printing `message` on stderr. */
export class CliFailure extends Error {
  override readonly name = 'CliFailure';

  constructor(
    readonly exitCode: ExitCodeValue,
    message: string,
  ) {
    super(message);
  }
}
