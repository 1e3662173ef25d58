import type { JsonObject, JsonValue } from '@bufbuild/protobuf';
import { JsonApiError } from './json-api-error.ts';

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** MaxScale's output: keys sorted, 4-space indent unless `pretty` is false. */
export function renderJson(value: JsonValue, pretty: boolean): string {
  return JSON.stringify(
    value,
    (_key, item: JsonValue) => {
      if (!isObject(item)) return item;
      const sorted: JsonObject = {};
      for (const key of Object.keys(item).sort()) sorted[key] = item[key] as JsonValue;
      return sorted;
    },
    pretty ? 4 : undefined,
  );
}

/** Keeps the parts of `source` named by `paths` (each a list of keys); undefined when none matched. */
function pick(source: JsonObject, paths: readonly (readonly string[])[]): JsonObject | undefined {
  let picked: JsonObject | undefined;
  for (const path of paths) {
    const [head, ...rest] = path;
    if (head === undefined || !Object.hasOwn(source, head)) continue;
    const value = source[head] as JsonValue;
    let kept: JsonValue | undefined = value;
    if (rest.length > 0) kept = isObject(value) ? pick(value, [rest]) : undefined;
    if (kept === undefined) continue;
    picked ??= {};
    const previous = picked[head];
    picked[head] = isObject(previous) && isObject(kept) ? { ...previous, ...kept } : kept;
  }
  return picked;
}

/** Parses `a,b/c` into key paths. */
export function parseFieldset(value: string): string[][] {
  return value
    .split(',')
    .map((field) => field.split('/').filter((part) => part !== ''))
    .filter((path) => path.length > 0);
}

/**
 * The JSON:API sparse fieldset (`fields[servers]=`): each path points into `attributes` or
 * `relationships`; id, type and links always stay, an empty attributes or relationships is dropped.
 */
export function applyFieldset(
  resource: JsonObject,
  paths: readonly (readonly string[])[],
): JsonObject {
  const { attributes, relationships, ...kept } = resource;
  const result: JsonObject = { ...kept };
  const pickedAttributes = isObject(attributes) ? pick(attributes, paths) : undefined;
  const pickedRelationships = isObject(relationships) ? pick(relationships, paths) : undefined;
  if (pickedAttributes) result['attributes'] = pickedAttributes;
  if (pickedRelationships) result['relationships'] = pickedRelationships;
  return result;
}

/** Resolves a JSON pointer (a leading `/` is optional); undefined when it points nowhere. */
export function resolvePointer(value: JsonValue, pointer: string): JsonValue | undefined {
  const parts = pointer.replace(/^\//, '').split('/');
  let current: JsonValue | undefined = value;
  for (const raw of parts) {
    const part = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (Array.isArray(current)) current = current[Number(part)];
    else if (isObject(current)) current = Object.hasOwn(current, part) ? current[part] : undefined;
    else return undefined;
  }
  return current;
}

/** The query options of a `/v1` GET that shape the document. */
export interface DocumentQuery {
  readonly fields?: ReadonlyMap<string, string[][]>;
  readonly filter?: { readonly pointer: string; readonly value: JsonValue };
  readonly page?: { readonly size: number; readonly number: number };
}

/** Reads `fields[type]=`, `filter=<pointer>=<JSON literal>` and `page[size]`/`page[number]`. */
export function parseDocumentQuery(params: Iterable<readonly [string, string]>): DocumentQuery {
  const fields = new Map<string, string[][]>();
  let filter: DocumentQuery['filter'];
  let size: number | undefined;
  let number = 0;
  for (const [name, value] of params) {
    const fieldset = /^fields\[(.+)\]$/.exec(name);
    if (fieldset?.[1] !== undefined) fields.set(fieldset[1], parseFieldset(value));
    else if (name === 'filter') filter = parseFilter(value);
    else if (name === 'page[size]') size = pageNumber(value, 1);
    else if (name === 'page[number]') number = pageNumber(value, 0);
  }
  return {
    ...(fields.size > 0 ? { fields } : {}),
    ...(filter ? { filter } : {}),
    ...(size !== undefined ? { page: { size, number } } : {}),
  };
}

function pageNumber(value: string, minimum: number): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < minimum)
    throw new JsonApiError(400, [`Invalid page parameter: ${JSON.stringify(value)}`]);
  return parsed;
}

function parseFilter(value: string): { pointer: string; value: JsonValue } {
  const at = value.indexOf('=');
  if (at <= 0) throw new JsonApiError(400, [`Not a valid filter expression: ${value}`]);
  const literal = value.slice(at + 1);
  try {
    return { pointer: value.slice(0, at), value: JSON.parse(literal) as JsonValue };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new JsonApiError(400, [`Invalid JSON: ${reason}`]);
  }
}

function sameJson(a: JsonValue | undefined, b: JsonValue): boolean {
  return a !== undefined && JSON.stringify(a) === JSON.stringify(b);
}

/** Filters, then pages, then applies the fieldset (MaxScale's order) to a collection document. */
export function shapeCollection(
  document: JsonObject,
  type: string,
  query: DocumentQuery,
  pageLink: (size: number, number: number) => string,
): JsonObject {
  let data = Array.isArray(document['data']) ? document['data'] : [];
  const filter = query.filter;
  if (filter)
    data = data.filter((item) => sameJson(resolvePointer(item, filter.pointer), filter.value));
  const shaped: JsonObject = { ...document };
  const page = query.page;
  if (page && data.length > page.size) {
    const last = Math.ceil(data.length / page.size) - 1;
    shaped['meta'] = { total: data.length };
    data = data.slice(page.number * page.size, (page.number + 1) * page.size);
    const links: JsonObject = {
      self: pageLink(page.size, page.number),
      first: pageLink(page.size, 0),
      last: pageLink(page.size, last),
    };
    if (page.number < last) links['next'] = pageLink(page.size, page.number + 1);
    if (page.number > 0) links['prev'] = pageLink(page.size, Math.min(page.number - 1, last));
    shaped['links'] = links;
  }
  shaped['data'] = data.map((item) => shapeResource(item, type, query));
  return shaped;
}

function shapeResource(item: JsonValue, type: string, query: DocumentQuery): JsonValue {
  const paths = query.fields?.get(type);
  if (!paths || !isObject(item) || item['type'] !== type) return item;
  return applyFieldset(item, paths);
}

/** Applies the fieldset to a single-resource document. */
export function shapeSingle(document: JsonObject, type: string, query: DocumentQuery): JsonObject {
  const data = document['data'];
  return data === undefined ? document : { ...document, data: shapeResource(data, type, query) };
}
