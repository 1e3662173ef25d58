/**
 * The paths a `/v1` route answers on: with and without the optional `v1/` prefix (MaxScale 2.4+).
 * Trailing slashes are stripped before routing (v1-request-rewrite.ts).
 */
export function v1Paths(path: string): string[] {
  return [`v1/${path}`, path];
}
