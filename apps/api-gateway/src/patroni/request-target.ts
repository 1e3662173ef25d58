/** An absolute-form target: Patroni's server answers it by its path, so the health checks do too. */
const ABSOLUTE_FORM = /^https?:\/\/[^/?#]*/i;

/**
 * A request target as Patroni's handler reads it (Python's urlparse): without its fragment, and
 * without scheme and authority in absolute form. Undefined for a target in neither form.
 */
export function originForm(target: string): string | undefined {
  const hash = target.indexOf('#');
  let path = hash === -1 ? target : target.slice(0, hash);
  if (path.charCodeAt(0) !== 47) {
    const absolute = ABSOLUTE_FORM.exec(path);
    if (!absolute) return undefined;
    path = path.slice(absolute[0].length);
    if (path === '' || path.startsWith('?')) path = `/${path}`;
  }
  return path;
}
