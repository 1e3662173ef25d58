import type { JsonObject, JsonValue } from '@bufbuild/protobuf';
import { JsonApiError } from './json-api-error.ts';
import { relationshipLists, type ObjectDirectory } from './server-requests.ts';

/** The `/v1` objects besides servers: natroni's services and its one monitor. */
export type LinkedObjectKind = 'services' | 'monitors';

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const SINGULAR: Readonly<Record<LinkedObjectKind, string>> = {
  services: 'service',
  monitors: 'monitor',
};

export function notALinkedObject(kind: LinkedObjectKind, name: string): JsonApiError {
  return JsonApiError.notFound(`${name} is not a ${SINGULAR[kind]}`);
}

/**
 * `PATCH /v1/services/:name` or `/v1/monitors/:name` (what `maxctrl link` and `unlink` send): the
 * relationships present replace. natroni's services and monitor have no parameters to alter.
 */
export function readLinkedObjectUpdate(
  kind: LinkedObjectKind,
  name: string,
  body: JsonValue | undefined,
  directory: ObjectDirectory,
): Map<string, string[]> {
  if (body === undefined) throw JsonApiError.refused('Missing request body');
  const data = isObject(body) ? body['data'] : undefined;
  if (!isObject(data)) throw JsonApiError.refused("No '/data' field defined");
  const attributes = data['attributes'];
  if (attributes !== undefined) {
    const parameters = isObject(attributes) ? attributes['parameters'] : undefined;
    if (!isObject(attributes) || (parameters !== undefined && !isObject(parameters)))
      throw JsonApiError.refused("The '/data/attributes/parameters' field is not an object");
    if (parameters !== undefined && Object.keys(parameters).length > 0) {
      throw JsonApiError.refused(
        `The parameters of ${SINGULAR[kind]} '${name}' are natroni's and cannot be altered`,
      );
    }
  }
  return relationshipLists(data['relationships'], directory, true);
}

/**
 * What a service or the monitor can be linked to in natroni: servers only. A service routes to
 * servers (not to other services, filters or a whole cluster), and the monitor serves no service.
 * An empty list of another kind changes nothing and is accepted.
 */
export function assertOnlyServersLinked(
  kind: LinkedObjectKind,
  name: string,
  lists: ReadonlyMap<string, readonly string[]>,
): void {
  for (const [type, names] of lists) {
    if (type === 'servers' || names.length === 0) continue;
    throw JsonApiError.refused(
      `Cannot link ${SINGULAR[kind]} '${name}' to ${names.map((target) => `'${target}'`).join(', ')}: natroni's ${kind} link to servers only`,
    );
  }
}
