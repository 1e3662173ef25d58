import { pythonJson, pythonYaml, type OutputFormat } from './output-format.ts';
import { renderTable } from './text-table.ts';

export type Cell = string | number | Readonly<Record<string, unknown>>;

/** Rows under named columns, printed in any of patronictl's formats. */
export interface Tabular {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly Cell[])[];
  /** Columns aligned right in a table; the others are aligned left. */
  readonly rightAligned?: ReadonlySet<string>;
  /**
   * Written into a table's top border (`Cluster: demo (7312…)`). A titled listing of members also
   * leaves out its first column (the cluster's name) from the table, and its empty values from
   * JSON and YAML, as patronictl does.
   */
  readonly title?: string;
  /** Column names shown in a table instead of the machine-readable ones (`Lag` for `Receive Lag`). */
  readonly tableHeaders?: Readonly<Record<string, string>>;
}

/** patronictl's `print_output`: json, yaml, tsv (with a delimiter) or a pretty table. */
export function renderTabular(data: Tabular, format: OutputFormat, delimiter = '\t'): string {
  const { columns, rows, title } = data;
  if (format === 'json' || format === 'yaml' || format === 'yml') {
    const elements = rows.map((row) =>
      Object.fromEntries(
        columns
          .map((column, index) => [column, row[index] ?? ''] as const)
          .filter(([, value]) => title === undefined || String(value) !== ''),
      ),
    );
    return format === 'json' ? pythonJson(elements) : pythonYaml(elements);
  }
  if (format === 'tsv')
    return [...(columns.length > 0 ? [columns] : []), ...rows]
      .map((row) => row.map((cell) => String(cell)).join(delimiter))
      .join('\n');
  const skip = title !== undefined && columns[0] === 'Cluster' ? 1 : 0;
  return renderTable({
    ...(title === undefined ? {} : { title: ` ${title} ` }),
    columns: columns.slice(skip).map((column) => ({
      header: data.tableHeaders?.[column] ?? column,
      align: data.rightAligned?.has(column) ? 'right' : 'left',
    })),
    rows: rows.map((row) => row.slice(skip).map((cell) => String(cell))),
  });
}
