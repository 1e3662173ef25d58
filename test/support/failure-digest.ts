import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Lines kept from the end of each service log. */
const TAIL_LINES = 15;

/** NestJS's start-up lines, which say nothing about a failure. */
const START_UP_CONTEXTS = new Set([
  'NestFactory',
  '_InstanceLoader',
  '_RoutesResolver',
  '_RouterExplorer',
  '_NestApplication',
]);

/** Set by FailureFlagEnvironment when a test or hook of the current file failed. */
export function testFileFailed(): boolean {
  return (globalThis as { natroniTestFailed?: boolean }).natroniTestFailed === true;
}

interface LogEntry {
  time?: string;
  context?: string;
  msg?: unknown;
  err?: { message?: string };
}

function parsed(line: string): LogEntry | string {
  try {
    return JSON.parse(line) as LogEntry;
  } catch {
    return line;
  }
}

function readable(entry: LogEntry | string): string {
  if (typeof entry === 'string') return entry;
  const error = entry.err?.message ? ` (${entry.err.message})` : '';
  return `${entry.time ?? ''} ${String(entry.msg ?? '')}${error}`;
}

/**
 * The last lines of the election and node-agent logs of every member: printed when a test failed,
 * because the cluster's directory is removed afterwards and a CI run keeps only its output.
 */
export async function failureDigest(logsDir: string): Promise<string> {
  const files = (await readdir(logsDir).catch(() => [] as string[]))
    .filter((file) => file.endsWith('-election.log') || file.endsWith('-agent.log'))
    .sort();
  const sections = await Promise.all(
    files.map(async (file) => {
      const entries = (await readFile(join(logsDir, file), 'utf8'))
        .trimEnd()
        .split('\n')
        .map(parsed)
        .filter(
          (entry) => typeof entry === 'string' || !START_UP_CONTEXTS.has(entry.context ?? ''),
        );
      return [`--- ${file}`, ...entries.slice(-TAIL_LINES).map(readable)].join('\n');
    }),
  );
  return sections.join('\n');
}
