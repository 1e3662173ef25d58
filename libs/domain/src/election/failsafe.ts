/**
 * Failsafe mode (docs/ha.md, "Failsafe mode"): while the primary cannot reach the `leader` key it
 * stays primary only as long as every member of the `failsafe` key accepts its `POST /failsafe`; a
 * member that accepted does not race for the lease for the next ttl, and only members of that key may
 * race at all.
 */

/** The `failsafe` key's members: every member that advertises an api_url, by name. */
export function failsafeTopology(
  members: Iterable<readonly [name: string, apiUrl: string]>,
): Record<string, string> {
  const topology: Record<string, string> = {};
  const sorted = [...members]
    .filter(([, apiUrl]) => apiUrl !== '')
    .sort(([a], [b]) => (a < b ? -1 : 1));
  for (const [name, apiUrl] of sorted) topology[name] = apiUrl;
  return topology;
}

export function sameFailsafeTopology(
  a: Readonly<Record<string, string>>,
  b: Readonly<Record<string, string>>,
): boolean {
  const names = Object.keys(a);
  return names.length === Object.keys(b).length && names.every((name) => a[name] === b[name]);
}

/** Patroni calls a member's `/failsafe` endpoint at its api_url's origin. */
export function failsafeEndpointUrl(apiUrl: string): string | undefined {
  try {
    return new URL('/failsafe', apiUrl).toString();
  } catch {
    return undefined;
  }
}

/**
 * Why this member may not race because of failsafe mode, or undefined: with failsafe mode on, a
 * non-empty `failsafe` key that does not name it keeps it out (it may have joined while the primary was
 * confirming its leadership without it).
 */
export function failsafeRaceBlock(
  failsafeMode: boolean,
  topology: Readonly<Record<string, string>> | undefined,
  member: string,
): string | undefined {
  if (!failsafeMode || !topology) return undefined;
  const names = Object.keys(topology);
  if (names.length === 0 || names.includes(member)) return undefined;
  return `failsafe mode is on and the failsafe key does not name ${member}`;
}

/**
 * When the primary must start asking the other members, so that the answers (bounded by `roundBudgetMs`)
 * arrive before its leadership runs out at `deadline`.
 */
export function failsafeRoundDueAt(deadline: number, roundBudgetMs: number): number {
  return deadline - roundBudgetMs;
}
