import type { ServerRecord } from '../../../proto/src/index.ts';

/** The member (or server) was put into maintenance through `/v1/servers/:name/set?state=maintenance`. */
export function inMaintenance(record: ServerRecord | undefined): boolean {
  return record?.maintenance === true;
}

/** The member (or server) is being drained: no new routing, existing connections stay. */
export function isDraining(record: ServerRecord | undefined): boolean {
  return record?.drain === true;
}
