/** One parameter PostgreSQL reports with pending_restart, and the value its configuration files now hold. */
export interface PendingSettingRow {
  readonly name: string;
  /** pg_settings.setting: the value PostgreSQL runs with, in the parameter's base unit. */
  readonly running: string;
  /** pg_settings.unit, e.g. "8kB" or "ms"; null when unitless. */
  readonly unit: string | null;
  /** The last value pg_file_settings holds for it; null when the files no longer set it. */
  readonly configured: string | null;
}

export interface PendingRestartParameter {
  readonly old_value: string;
  readonly new_value: string;
}

const MEMORY_UNITS: readonly (readonly [string, number])[] = [
  ['TB', 1024 ** 4],
  ['GB', 1024 ** 3],
  ['MB', 1024 ** 2],
  ['kB', 1024],
  ['B', 1],
];
const TIME_UNITS: readonly (readonly [string, number])[] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['min', 60_000],
  ['s', 1_000],
  ['ms', 1],
];

function unitSize(unit: string, table: readonly (readonly [string, number])[]): number | undefined {
  const match = /^(\d*)(\D+)$/.exec(unit);
  if (!match) return undefined;
  const size = table.find(([name]) => name === match[2])?.[1];
  return size === undefined ? undefined : size * (match[1] === '' ? 1 : Number(match[1]));
}

/** A value in the parameter's base unit written as PostgreSQL's SHOW writes it, e.g. 16384 × 8kB → "128MB". */
export function formatSettingWithUnit(value: string, unit: string | null): string {
  if (!unit || !/^-?\d+$/.test(value) || Number(value) <= 0) return value;
  for (const table of [MEMORY_UNITS, TIME_UNITS]) {
    const size = unitSize(unit, table);
    if (size === undefined) continue;
    const total = Number(value) * size;
    const [name, factor] = table.find(([, unitFactor]) => total % unitFactor === 0) ?? table[0];
    return `${total / factor}${name}`;
  }
  return value;
}

/**
 * Patroni's `pending_restart_reason`: by parameter, the value PostgreSQL runs with (with its unit, as
 * SHOW gives it) and the value it will run with after a restart; "" when the files no longer set it.
 */
export function pendingRestartReason(
  rows: readonly PendingSettingRow[],
): Record<string, PendingRestartParameter> {
  const reason: Record<string, PendingRestartParameter> = {};
  for (const row of rows) {
    reason[row.name] = {
      old_value: formatSettingWithUnit(row.running, row.unit),
      new_value: row.configured ?? '',
    };
  }
  return reason;
}
