import { stringify } from 'yaml';

export const OUTPUT_FORMATS = ['pretty', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** A document as JSON (indented) or YAML; `pretty` callers render their own tables. */
export function renderDocument(value: unknown, format: 'json' | 'yaml'): string {
  return format === 'json' ? JSON.stringify(value, null, 2) : stringify(value).trimEnd();
}
