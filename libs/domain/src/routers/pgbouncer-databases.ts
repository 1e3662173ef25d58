/**
 * The `[databases]` section that points each of PgBouncer's database entries at the primary: the
 * configured connection string of each entry (`dbname=app user=app`) with the primary's host and port
 * in front.
 */
export function pgbouncerDatabases(
  entries: Readonly<Record<string, string>>,
  primary: { host: string; port: number },
): string {
  const lines = Object.entries(entries).map(
    ([name, options]) =>
      `${name} = host=${primary.host} port=${primary.port}${options.trim() === '' ? '' : ` ${options.trim()}`}`,
  );
  return `[databases]\n${lines.join('\n')}\n`;
}
