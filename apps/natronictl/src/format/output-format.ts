import { stringify } from 'yaml';

/** patronictl's `-f/--format` choices; `yml` is `yaml`'s alias. */
export const OUTPUT_FORMATS = ['pretty', 'tsv', 'json', 'yaml', 'yml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

type Plain =
  null | boolean | number | string | readonly Plain[] | { readonly [key: string]: Plain };

/**
 * JSON as Python's `json.dumps` writes it, which patronictl uses: one line, `", "` and `": "`
 * separators, every character beyond ASCII escaped.
 */
export function pythonJson(value: unknown): string {
  const plain = value as Plain;
  if (plain === null || typeof plain !== 'object')
    return (JSON.stringify(plain) ?? 'null').replace(
      /[\u007f-\uffff]/g,
      (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  if (Array.isArray(plain)) return `[${plain.map(pythonJson).join(', ')}]`;
  const entries = Object.entries(plain).map(
    ([key, item]) => `${pythonJson(key)}: ${pythonJson(item)}`,
  );
  return `{${entries.join(', ')}}`;
}

/** YAML as PyYAML's `safe_dump` writes it for patronictl: block style, keys sorted. */
export function pythonYaml(value: unknown): string {
  return stringify(value, { sortMapEntries: true, lineWidth: 200 }).trimEnd();
}

/** A document as JSON or YAML, as patronictl prints one. */
export function renderDocument(value: unknown, format: OutputFormat): string {
  return format === 'json' ? pythonJson(value) : pythonYaml(value);
}
