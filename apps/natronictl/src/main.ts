#!/usr/bin/env node
import { CommanderError } from 'commander';
import { prompts } from './cli-context.ts';
import { Aborted, CliFailure, ExitCode } from './exit-code.ts';
import { natronictlProgram } from './natronictl-program.ts';

async function main(argv: readonly string[]): Promise<number> {
  try {
    await natronictlProgram().parseAsync([...argv]);
    return ExitCode.ok;
  } catch (error) {
    // Commander has printed its own message (or the help, with exit code 0).
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    if (error instanceof Aborted) {
      process.stderr.write('Aborted!\n');
      return ExitCode.failed;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`Error: ${message}\n`);
    return error instanceof CliFailure ? error.exitCode : ExitCode.failed;
  } finally {
    prompts.close();
  }
}

void main(process.argv).then((code) => {
  process.exitCode = code;
});
