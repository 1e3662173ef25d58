import { FAULT_KINDS, isFaultKind, type FaultKind } from './fault-schedule.ts';

export type ReplicationMode = 'sync' | 'async';

export interface LabOptions {
  readonly faults: number;
  readonly seed: number;
  readonly kinds: readonly FaultKind[];
  /** `sync`: synchronous_mode on; `async`: asynchronous replication. */
  readonly mode: ReplicationMode;
  /** The results file (Markdown); the records go beside it as JSON. */
  readonly out: string;
}

export class LabOptionsError extends Error {}

export const LAB_USAGE = [
  'usage: npm run lab -- [--faults N] [--seed S] [--kinds kind,kind,...] [--mode sync|async] [--out FILE]',
  `  --faults  how many faults to inject (default 20)`,
  `  --seed    an integer that fixes the schedule (default: the current time)`,
  `  --kinds   a comma-separated subset of: ${FAULT_KINDS.join(', ')}`,
  `  --mode    sync (synchronous_mode on, the default) or async`,
  `  --out     the results file (default lab-results/lab-<seed>.md)`,
].join('\n');

function integer(flag: string, text: string | undefined, min: number): number {
  if (text === undefined || !/^-?\d+$/.test(text.trim())) {
    throw new LabOptionsError(`${flag} must be an integer, not ${JSON.stringify(text ?? '')}`);
  }
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min) {
    throw new LabOptionsError(`${flag} must be an integer of at least ${min}, not ${text}`);
  }
  return value;
}

/** Parses the lab's command line; LabOptionsError says what is wrong in a sentence. */
export function parseLabOptions(argv: readonly string[], now: number = Date.now()): LabOptions {
  const given = new Map<string, string | undefined>();
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const [flag, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    if (!['--faults', '--seed', '--kinds', '--mode', '--out'].includes(flag)) {
      throw new LabOptionsError(`unknown option ${JSON.stringify(arg)}`);
    }
    if (given.has(flag)) throw new LabOptionsError(`${flag} is given twice`);
    const value = inline ?? argv[i + 1];
    if (inline === undefined) i += 1;
    if (value === undefined || value === '') throw new LabOptionsError(`${flag} needs a value`);
    given.set(flag, value);
  }
  const faults = given.has('--faults') ? integer('--faults', given.get('--faults'), 1) : 20;
  const seed = given.has('--seed') ? integer('--seed', given.get('--seed'), 0) : now % 1_000_000;
  const kindsText = given.get('--kinds');
  const kinds =
    kindsText === undefined ? [...FAULT_KINDS] : kindsText.split(',').map((kind) => kind.trim());
  const unknown = kinds.filter((kind) => !isFaultKind(kind));
  if (unknown.length > 0) {
    throw new LabOptionsError(
      `unknown fault kind${unknown.length > 1 ? 's' : ''} ${unknown.map((kind) => JSON.stringify(kind)).join(', ')}; the kinds are ${FAULT_KINDS.join(', ')}`,
    );
  }
  if (new Set(kinds).size !== kinds.length) throw new LabOptionsError('--kinds lists a kind twice');
  const mode = given.get('--mode') ?? 'sync';
  if (mode !== 'sync' && mode !== 'async') {
    throw new LabOptionsError(`--mode must be sync or async, not ${JSON.stringify(mode)}`);
  }
  return {
    faults,
    seed,
    kinds: kinds as FaultKind[],
    mode,
    out: given.get('--out') ?? `lab-results/lab-${seed}.md`,
  };
}
