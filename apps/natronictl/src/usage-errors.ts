import type { Command } from 'commander';

/** commander's error wording → click's, which patronictl prints. */
const CLICK_WORDING: readonly [RegExp, (...groups: string[]) => string][] = [
  [/^error: unknown option '([^']*)'/, (option) => `No such option: ${option}`],
  [/^error: unknown command '([^']*)'/, (name) => `No such command '${name}'.`],
  [/^error: missing required argument '([^']*)'/, (name) => `Missing argument '${name}'.`],
  [
    /^error: option '(?:(-\w), )?(--[\w-]+)[^']*' argument '([^']*)' is invalid\. Allowed choices are (.*)\.$/,
    (short, long, value, choices) =>
      `Invalid value for ${short ? `'${short}' / ` : ''}'${long}': '${value}' is not one of ${choices
        .split(', ')
        .map((choice) => `'${choice}'`)
        .join(', ')}.`,
  ],
  [
    /^error: option '(?:(-\w), )?(--?[\w-]+)[^']*' argument missing/,
    (short, long) => `Option '${long ?? short}' requires an argument.`,
  ],
  [/^error: too many arguments.*?got (\d+)/, () => 'Got unexpected extra argument'],
];

function clickMessage(commanderMessage: string): string {
  const firstLine = commanderMessage.trim().split('\n')[0] ?? '';
  for (const [pattern, word] of CLICK_WORDING) {
    const match = pattern.exec(firstLine);
    if (match) return word(...match.slice(1).map((group) => group ?? ''));
  }
  return firstLine.replace(/^error: /, '');
}

/**
 * Errors of the command line in click's layout, as patronictl prints them: the usage, a hint, and
 * `Error: …` (exit code 2, set in main.ts). Applied to the program and each of its commands.
 */
export function clickStyleUsageErrors(command: Command, path = command.name()): void {
  command.configureOutput({
    outputError: (text, write) => {
      write(
        `Usage: ${path} ${command.usage()}\nTry '${path} --help' for help.\n\nError: ${clickMessage(text)}\n`,
      );
    },
  });
  for (const sub of command.commands) clickStyleUsageErrors(sub, `${path} ${sub.name()}`);
}
