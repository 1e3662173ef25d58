/** natronictl's exit codes, patronictl's: scripts written for one work with the other. */
export const ExitCode = {
  ok: 0,
  /**
   * The command failed: refused by the cluster, the gateway unreachable, a question answered no or
   * not at all (`Error: …` or `Aborted!` on stderr).
   */
  failed: 1,
  /** Bad command line: unknown command or option, missing or invalid argument. */
  usage: 2,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** A failure that ends natronictl with `exitCode` after printing `Error: <message>` on stderr. */
export class CliFailure extends Error {
  override readonly name = 'CliFailure';

  constructor(
    message: string,
    readonly exitCode: ExitCodeValue = ExitCode.failed,
  ) {
    super(message);
  }
}

/** A question went unanswered (end of input, Ctrl-C): `Aborted!`, exit 1, as patronictl. */
export class Aborted extends Error {
  override readonly name = 'Aborted';

  constructor() {
    super('Aborted!');
  }
}
