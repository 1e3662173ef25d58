/**
 * A refused `/v1` request: its status and the `detail` of each entry of the JSON:API `errors` list.
 * No details means a response without a body (MaxScale's 404 for a path it does not know).
 */
export class JsonApiError extends Error {
  constructor(
    readonly status: number,
    readonly details: readonly string[],
  ) {
    super(details.join('; ') || `HTTP ${status}`);
    this.name = 'JsonApiError';
  }

  /**
   * MaxScale 2.x's documented code for an invalid body, a server in use or a bad state: 403
   * (MaxScale answered 403 up to 21.06 and 400 since 22.08; docs/maxscale-api.md).
   */
  static refused(...details: string[]): JsonApiError {
    return new JsonApiError(403, details);
  }

  static notFound(detail?: string): JsonApiError {
    return new JsonApiError(404, detail === undefined ? [] : [detail]);
  }
}

export function notAServer(name: string): JsonApiError {
  return JsonApiError.notFound(`${name} is not a server`);
}

/** The body of an error response. */
export function errorDocument(details: readonly string[]): { errors: { detail: string }[] } {
  return { errors: [...new Set(details)].map((detail) => ({ detail })) };
}
