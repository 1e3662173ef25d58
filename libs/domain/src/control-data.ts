import { parseLsn } from './lsn.ts';

/** What natroni reads from pg_controldata's output about a stopped cluster. */
export interface ControlData {
  /** "Database cluster state", e.g. "shut down", "shut down in recovery", "in production". */
  readonly clusterState: string | undefined;
  /** Start of the last checkpoint record: after a clean shutdown, the shutdown checkpoint. */
  readonly checkpointWalPosition: number | undefined;
  readonly timeline: number | undefined;
}

/** Parses `pg_controldata` output (run with LC_ALL=C, so the labels are English). */
export function parseControlData(output: string): ControlData {
  const fields = new Map<string, string>();
  for (const line of output.split('\n')) {
    const separator = line.indexOf(':');
    if (separator > 0)
      fields.set(line.slice(0, separator).trim(), line.slice(separator + 1).trim());
  }
  const checkpoint = fields.get('Latest checkpoint location');
  const timeline = Number(fields.get("Latest checkpoint's TimeLineID"));
  return {
    clusterState: fields.get('Database cluster state'),
    checkpointWalPosition: checkpoint ? parseLsn(checkpoint) : undefined,
    timeline: Number.isInteger(timeline) && timeline > 0 ? timeline : undefined,
  };
}
