#!/usr/bin/env node
import { CommanderError } from 'commander';
import { CliFailure, ExitCode } from './exit-code.ts';
import { natronictlProgram } from './natronictl-program.ts';

async function main(argv: readonly string[]): Promise<number> {
  try {
    await natronictlProgram().parseAsync([...argv]);
    return ExitCode.ok;
  } catch (error) {
    // Commander has printed its own message (or the help, with exit code 0).
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    if (error instanceof CliFailure) {
      process.stderr.write(`natronictl: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`natronictl: ${error instanceof Error ? error.message : String(error)}\n`);
    return ExitCode.refused;
  }
}

void main(process.argv).then((code) => {
  process.exitCode = code;
});
