export interface TableColumn {
  readonly header: string;
  readonly align?: 'left' | 'right';
}

export interface TextTable {
  /** Written into the top border, as patronictl writes "+ Cluster: demo ---". */
  readonly title?: string;
  readonly columns: readonly TableColumn[];
  readonly rows: readonly (readonly string[])[];
}

/** A bordered text table in patronictl's style. */
export function renderTable(table: TextTable): string {
  const widths = table.columns.map((column, index) =>
    Math.max(column.header.length, ...table.rows.map((row) => (row[index] ?? '').length)),
  );
  const border = `+${widths.map((width) => '-'.repeat(width + 2)).join('+')}+`;
  const line = (cells: readonly string[], aligned: boolean): string =>
    `| ${widths
      .map((width, index) => {
        const cell = cells[index] ?? '';
        return aligned && table.columns[index]?.align === 'right'
          ? cell.padStart(width)
          : cell.padEnd(width);
      })
      .join(' | ')} |`;
  return [
    titled(border, table.title),
    line(
      table.columns.map((column) => column.header),
      false,
    ),
    border,
    ...table.rows.map((row) => line(row, true)),
    border,
  ].join('\n');
}

function titled(border: string, title: string | undefined): string {
  if (title === undefined) return border;
  const label = `+ ${title} `;
  return label.length < border.length ? label + border.slice(label.length) : label.trimEnd();
}
