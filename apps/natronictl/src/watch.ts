import { Option } from 'commander';

export const watchOptions = (): Option[] => [
  new Option('-W', 'Auto update the screen every 2 seconds'),
  new Option('-w, --watch <seconds>', 'Auto update the screen every X seconds').argParser(
    (value: string) => {
      const seconds = Number(value);
      if (!Number.isFinite(seconds) || seconds < 0)
        throw new Error(`'${value}' is not a valid float.`);
      return seconds;
    },
  ),
];

export interface WatchOptions {
  W?: boolean;
  watch?: number;
}

/**
 * patronictl's `watching`: runs `show` once, or every `-w` seconds (2 with `-W`) until interrupted,
 * clearing the terminal before each round when `clear` and stdout is a terminal.
 */
export async function watching(
  options: WatchOptions,
  show: () => Promise<void>,
  clear = true,
): Promise<void> {
  const everySeconds = options.watch || (options.W ? 2 : 0);
  const clearScreen = () => {
    if (clear && everySeconds && process.stdout.isTTY) process.stdout.write('\x1b[2J\x1b[1;1H');
  };
  clearScreen();
  let shownAt = performance.now();
  await show();
  while (everySeconds) {
    const remaining = everySeconds * 1000 - (performance.now() - shownAt);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, remaining)));
    clearScreen();
    shownAt = performance.now();
    await show();
  }
}
