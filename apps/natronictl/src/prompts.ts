import { createInterface, type Interface } from 'node:readline';
import { Aborted } from './exit-code.ts';

/**
 * Questions asked as patronictl (click) asks them: on stdout, answered by a line of stdin, whether a
 * terminal or a pipe (so `yes | natronictl …` works). The end of input aborts the command.
 */
export class Prompts {
  private reader: Interface | undefined;
  private readonly pending: string[] = [];
  private readonly waiting: ((line: string | undefined) => void)[] = [];
  private ended = false;

  constructor(private readonly write: (text: string) => void) {}

  /** `text [default]: `; an empty answer takes the default. */
  async ask(text: string, defaultValue?: string): Promise<string> {
    const suffix = defaultValue === undefined ? '' : ` [${defaultValue}]`;
    for (;;) {
      const answer = await this.answer(`${text}${suffix}: `);
      if (answer !== '') return answer;
      if (defaultValue !== undefined) return defaultValue;
    }
  }

  /** `text [y/N]: `; y or yes goes on, an empty answer is no. */
  async confirm(text: string): Promise<boolean> {
    for (;;) {
      const answer = (await this.answer(`${text} [y/N]: `)).toLowerCase();
      if (answer === 'y' || answer === 'yes') return true;
      if (answer === '' || answer === 'n' || answer === 'no') return false;
      this.write('Error: invalid input\n');
    }
  }

  private async answer(prompt: string): Promise<string> {
    this.write(prompt);
    const line = await this.nextLine();
    if (line === undefined) {
      this.write('\n');
      throw new Aborted();
    }
    return line.trim();
  }

  close(): void {
    this.reader?.close();
  }

  private nextLine(): Promise<string | undefined> {
    const line = this.pending.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.ended) return Promise.resolve(undefined);
    this.reader ??= this.openReader();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private openReader(): Interface {
    const reader = createInterface({ input: process.stdin, terminal: false });
    reader.on('line', (line) => {
      const waiter = this.waiting.shift();
      if (waiter) waiter(line);
      else this.pending.push(line);
    });
    reader.on('close', () => {
      this.ended = true;
      for (const waiter of this.waiting.splice(0)) waiter(undefined);
    });
    return reader;
  }
}
