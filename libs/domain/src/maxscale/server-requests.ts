import type { JsonObject, JsonValue } from '@bufbuild/protobuf';
import { JsonApiError } from './json-api-error.ts';
import { normalizeServerName, serverNameError } from './server-name.ts';

export type RelationshipKind = 'services' | 'monitors';

const RELATIONSHIP_TYPES = new Set(['servers', 'services', 'monitors', 'filters', 'listeners']);

/** What exists among the objects a server can link to. */
export interface ObjectDirectory {
  /** True when an object of that kind and exact name exists. */
  exists(kind: string, name: string): boolean;
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The request body as MaxScale reads it: parsed as JSON whenever one is present, whatever the
 * Content-Type; `mandatory` bodies answer "Missing request body" when there is none. A body that is
 * not JSON is a 400 in every MaxScale version (a valid JSON body that is refused stays a 403).
 */
export function readRequestBody(
  text: string | undefined,
  mandatory: boolean,
): JsonValue | undefined {
  if (text === undefined || text.trim() === '') {
    if (mandatory) throw JsonApiError.refused('Missing request body');
    return undefined;
  }
  try {
    return JSON.parse(text) as JsonValue;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new JsonApiError(400, [`Invalid JSON in request: ${reason}`]);
  }
}

/** The relationship links a request sets: present kinds replace, absent kinds stay. */
export type RelationshipChanges = Partial<Record<RelationshipKind, string[]>>;

/** Relationship element checks: `{id, type}` with type equal to the kind, the object existing. */
function relationshipNames(
  kind: string,
  data: JsonValue,
  field: string,
  directory: ObjectDirectory,
): string[] {
  if (data === null) return [];
  if (!Array.isArray(data)) throw JsonApiError.refused(`Field '${field}' is not an array`);
  const names: string[] = [];
  for (const element of data) {
    if (!isObject(element)) throw JsonApiError.refused('Malformed relationship object');
    const { id, type } = element;
    if (typeof id !== 'string' || typeof type !== 'string')
      throw JsonApiError.refused('Malformed relationship object');
    if (type !== kind || !directory.exists(kind, id))
      throw JsonApiError.refused(`'${id}' is not a valid object of type '${kind}'`);
    if (!names.includes(id)) names.push(id);
  }
  return names;
}

/**
 * `data.relationships` of a POST or PATCH: an object whose keys are relationship types, each an
 * object with `data` an array or null. Returns the names each present kind lists.
 */
export function relationshipLists(
  value: JsonValue | undefined,
  directory: ObjectDirectory,
  patch: boolean,
): Map<string, string[]> {
  const lists = new Map<string, string[]>();
  if (value === undefined) return lists;
  if (!isObject(value)) throw JsonApiError.refused("Field '/data/relationships' is not an object");
  for (const [kind, entry] of Object.entries(value)) {
    if (!RELATIONSHIP_TYPES.has(kind))
      throw JsonApiError.refused(`'${kind}' is not a valid MaxScale relationship type`);
    const field = `/data/relationships/${kind}`;
    if (!isObject(entry)) {
      throw JsonApiError.refused(
        patch ? `Relationship '${field}' is not an object` : `Field '${field}' is not an object`,
      );
    }
    const data = entry['data'];
    if (data === undefined) {
      if (patch) throw JsonApiError.refused(`Field '${field}/data' is not defined`);
      continue;
    }
    lists.set(kind, relationshipNames(kind, data, `${field}/data`, directory));
  }
  return lists;
}

/** Only services and monitors concern a server; the other kinds are checked and ignored. */
function relationshipChanges(
  value: JsonValue | undefined,
  directory: ObjectDirectory,
  patch: boolean,
): RelationshipChanges {
  const changes: RelationshipChanges = {};
  for (const [kind, names] of relationshipLists(value, directory, patch)) {
    if (kind === 'services' || kind === 'monitors') changes[kind] = names;
  }
  return changes;
}

function parametersOf(attributes: JsonValue | undefined): JsonObject | undefined {
  if (attributes === undefined) return undefined;
  if (!isObject(attributes))
    throw JsonApiError.refused("The '/data/attributes' field is not an object");
  const parameters = attributes['parameters'];
  if (parameters === undefined) return undefined;
  if (!isObject(parameters))
    throw JsonApiError.refused("The '/data/attributes/parameters' field is not an object");
  for (const [name, value] of Object.entries(parameters)) {
    if (typeof value === 'string' && value.includes('\n'))
      throw JsonApiError.refused(`Parameter '${name}' contains unescaped newlines`);
  }
  return parameters;
}

export interface CreateServerRequest {
  /** Normalised: whitespace replaced by hyphens, case preserved. */
  readonly name: string;
  /** As sent, nulls included (the caller drops them). */
  readonly parameters: JsonObject;
  readonly relationships: RelationshipChanges;
}

/** The checks of `POST /v1/servers` up to the parameter rules, in MaxScale's order. */
export function readCreateServerRequest(
  body: JsonValue | undefined,
  directory: ObjectDirectory,
): CreateServerRequest {
  if (body === undefined) throw JsonApiError.refused('Missing request body');
  const data = isObject(body) ? body['data'] : undefined;
  if (!isObject(data)) throw JsonApiError.refused("The '/data' field is not an object");
  const id = data['id'];
  if (typeof id !== 'string') throw JsonApiError.refused("The '/data/id' field is not a string");
  const type = data['type'];
  if (typeof type !== 'string')
    throw JsonApiError.refused("The '/data/type' field is not a string");
  if (id.trim() === '') throw JsonApiError.refused("The '/data/id' field is empty");
  const nameError = serverNameError(id);
  if (nameError) throw JsonApiError.refused(nameError);
  if (type !== 'servers')
    throw JsonApiError.refused(`The '/data/type' field is '${type}', not 'servers'`);
  const parameters = parametersOf(data['attributes']);
  const relationships = relationshipChanges(data['relationships'], directory, false);
  if (parameters === undefined)
    throw JsonApiError.refused("Field '/data/attributes/parameters' is not defined");
  return { name: normalizeServerName(id), parameters, relationships };
}

export interface UpdateServerRequest {
  /** The parameters to merge; nulls remove. Undefined: unchanged. */
  readonly parameters?: JsonObject;
  readonly relationships: RelationshipChanges;
}

/** `PATCH /v1/servers/:name`: data.id and data.type are ignored. */
export function readUpdateServerRequest(
  body: JsonValue | undefined,
  directory: ObjectDirectory,
): UpdateServerRequest {
  if (body === undefined) throw JsonApiError.refused('Missing request body');
  const data = isObject(body) ? body['data'] : undefined;
  if (!isObject(data)) throw JsonApiError.refused("No '/data' field defined");
  const parameters = parametersOf(data['attributes']);
  const relationships = relationshipChanges(data['relationships'], directory, true);
  return { ...(parameters === undefined ? {} : { parameters }), relationships };
}

/**
 * `PATCH /v1/<objects>/:name/relationships/:type`: `{"data":[…]}` or `{"data":null}`; `kind` is the
 * type of the objects listed.
 */
export function readRelationshipRequest(
  kind: string,
  body: JsonValue | undefined,
  directory: ObjectDirectory,
): string[] {
  if (body === undefined) throw JsonApiError.refused('Missing request body');
  const data = isObject(body) ? body['data'] : undefined;
  if (data === undefined) throw JsonApiError.refused("Field '/data' is not defined");
  return relationshipNames(kind, data, '/data', directory);
}
