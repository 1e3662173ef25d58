import type { JsonObject, JsonValue } from '@bufbuild/protobuf';
import { parseFilterExpression } from './filter-expression.ts';
import { JsonApiError } from './json-api-error.ts';
import { jsonPathValues } from './json-path.ts';

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

/** A filter of a collection's rows: keeps the rows it returns true for. */
export type RowFilter = (row: JsonValue) => boolean;

/** The query options of a `/v1` GET that shape the document. */
export interface DocumentQuery {
  readonly fields?: ReadonlyMap<string, string[][]>;
  /** `filter=<pointer>=`: collections only; a single resource ignores it, as in MaxScale. */
  readonly pointerFilter?: RowFilter;
  /** Each `filter[<path>]=`: all must keep a row; a single resource refuses them. */
  readonly pathFilters?: readonly RowFilter[];
  readonly page?: { readonly size: number; readonly number: number };
}

const PATH_FILTER = /^filter\[(.*)\]$/;

/**
 * Reads `fields[type]=`, `filter=<pointer>=<expression>`, `filter[<JSONPath>]=<expression>` and
 * `page[size]`/`page[number]`.
 */
export function parseDocumentQuery(params: Iterable<readonly [string, string]>): DocumentQuery {
  const fields = new Map<string, string[][]>();
  let pointerFilter: RowFilter | undefined;
  const pathFilters: RowFilter[] = [];
  let size: number | undefined;
  let number = 0;
  for (const [name, value] of params) {
    const fieldset = /^fields\[(.+)\]$/.exec(name);
    const pathFilter = PATH_FILTER.exec(name);
    if (fieldset?.[1] !== undefined) fields.set(fieldset[1], parseFieldset(value));
    else if (name === 'filter') pointerFilter = parsePointerFilter(value);
    else if (pathFilter?.[1] !== undefined) pathFilters.push(parsePathFilter(pathFilter[1], value));
    else if (name === 'page[size]') size = pageNumber(value, 1);
    else if (name === 'page[number]') number = pageNumber(value, 0);
  }
  return {
    ...(fields.size > 0 ? { fields } : {}),
    ...(pointerFilter ? { pointerFilter } : {}),
    ...(pathFilters.length > 0 ? { pathFilters } : {}),
    ...(size !== undefined ? { page: { size, number } } : {}),
  };
}

function pageNumber(value: string, minimum: number): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < minimum)
    throw new JsonApiError(400, [`Invalid page parameter: ${JSON.stringify(value)}`]);
  return parsed;
}

/** `filter=<pointer>=<expression>`: the row is kept when the value the pointer selects matches. */
function parsePointerFilter(value: string): RowFilter {
  const at = value.indexOf('=');
  if (at <= 0) throw new JsonApiError(400, [`Not a valid filter expression: ${value}`]);
  const pointer = value.slice(0, at);
  const matches = parseFilterExpression(value.slice(at + 1));
  return (row) => {
    const selected = resolvePointer(row, pointer);
    return selected !== undefined && matches(selected);
  };
}

/** `filter[<JSONPath>]=<expression>`: the row is kept when any value the path selects matches. */
function parsePathFilter(path: string, value: string): RowFilter {
  const matches = parseFilterExpression(value);
  return (row) => jsonPathValues(row, path).some(matches);
}

/** Filters, then pages, then applies the fieldset (MaxScale's order) to a collection document. */
export function shapeCollection(
  document: JsonObject,
  type: string,
  query: DocumentQuery,
  pageLink: (size: number, number: number) => string,
): JsonObject {
  let data = Array.isArray(document['data']) ? document['data'] : [];
  for (const keep of [query.pointerFilter ?? [], query.pathFilters ?? []].flat())
    data = data.filter((row) => keep(row));
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

/** Applies the fieldset to a single-resource document; `filter[<path>]=` needs a collection. */
export function shapeSingle(document: JsonObject, type: string, query: DocumentQuery): JsonObject {
  if (query.pathFilters)
    throw new JsonApiError(400, [
      'filter[<path>] filters the rows of a collection, not one resource',
    ]);
  const data = document['data'];
  return data === undefined ? document : { ...document, data: shapeResource(data, type, query) };
}
