export interface TableColumn {
  readonly header: string;
  readonly align?: 'left' | 'right';
}

export interface TextTable {
  /** Written into the top border, as patronictl writes "+ Cluster: demo (7312…) ---". */
  readonly title?: string;
  readonly columns: readonly TableColumn[];
  readonly rows: readonly (readonly string[])[];
}

/**
 * A bordered text table in patronictl's style. A cell may hold several lines; then, as patronictl
 * does, a rule separates every row so that each stays readable.
 */
export function renderTable(table: TextTable): string {
  const cellLines = (cell: string | undefined): string[] => (cell ?? '').split('\n');
  const widths = table.columns.map((column, index) =>
    Math.max(
      column.header.length,
      ...table.rows.flatMap((row) => cellLines(row[index]).map((line) => line.length)),
    ),
  );
  const border = `+${widths.map((width) => '-'.repeat(width + 2)).join('+')}+`;
  const line = (cells: readonly string[]): string =>
    `| ${widths
      .map((width, index) => {
        const cell = cells[index] ?? '';
        return table.columns[index]?.align === 'right' ? cell.padStart(width) : cell.padEnd(width);
      })
      .join(' | ')} |`;
  const rowLines = (row: readonly string[]): string[] => {
    const split = table.columns.map((_, index) => cellLines(row[index]));
    const height = Math.max(1, ...split.map((lines) => lines.length));
    return Array.from({ length: height }, (_, at) => line(split.map((lines) => lines[at] ?? '')));
  };
  const ruleEveryRow = table.rows.some((row) => row.some((cell) => cell.includes('\n')));
  const body = ruleEveryRow
    ? table.rows.flatMap((row, index) => [...(index > 0 ? [border] : []), ...rowLines(row)])
    : table.rows.flatMap(rowLines);
  return [
    titled(border, table.title),
    line(table.columns.map((column) => column.header)),
    border,
    ...body,
    border,
  ].join('\n');
}

/** The title replaces the start of the top border, cut to fit it, as patronictl writes it. */
function titled(border: string, title: string | undefined): string {
  if (title === undefined) return border;
  const label = title.slice(0, border.length - 2);
  return border.charAt(0) + label + border.slice(1 + label.length);
}
