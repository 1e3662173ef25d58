import { createInterface } from 'node:readline/promises';
import { CliFailure, ExitCode } from './exit-code.ts';

/**
 * Asks `question` on the terminal and goes on only on "y" or "yes". `--force` skips the question;
 * without a terminal to ask on, the command is refused rather than run unconfirmed.
 */
export async function confirm(question: string, force: boolean): Promise<void> {
  if (force) return;
  if (!process.stdin.isTTY) {
    throw new CliFailure(
      ExitCode.notConfirmed,
      `${question} Not confirmed: there is no terminal to ask on; pass --force to run without confirmation`,
    );
  }
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = (await terminal.question(`${question} [y/N]: `)).trim().toLowerCase();
    if (answer !== 'y' && answer !== 'yes') throw new CliFailure(ExitCode.notConfirmed, 'Aborted');
  } finally {
    terminal.close();
  }
}
