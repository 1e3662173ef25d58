import { timestampDate } from '@bufbuild/protobuf/wkt';
import { EventSchema, toWireJson, type Event } from '../../../../libs/proto/src/index.ts';
import { renderDocument, type OutputFormat } from './output-format.ts';

/**
 * One event: a line of words (pretty), a JSON line (the bus's canonical JSON), or a YAML document.
 * Pretty: `<time>  <kind>  <member>  term <n>  [timeline <n>]  [detail as JSON]`.
 */
export function formatEvent(event: Event, format: OutputFormat): string {
  const wire = JSON.parse(toWireJson(EventSchema, event)) as Record<string, unknown>;
  if (format === 'json') return JSON.stringify(wire);
  if (format === 'yaml' || format === 'yml') return `---\n${renderDocument(wire, 'yaml')}`;
  const at = event.occurredAt ? timestampDate(event.occurredAt).toISOString() : '-';
  const parts = [at, event.kind, event.member, `term ${event.term}`];
  if (event.timeline) parts.push(`timeline ${event.timeline}`);
  // The detail's JSON field is the snake_case name of the oneof case (leader_elected, ...).
  const field = event.detail.case?.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
  const detail = field === undefined ? undefined : wire[field];
  if (typeof detail === 'object' && detail !== null && Object.keys(detail).length > 0)
    parts.push(JSON.stringify(detail));
  return parts.join('  ');
}
