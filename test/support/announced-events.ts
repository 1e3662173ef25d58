import type { EventSubscription } from '../../libs/client/src/index.ts';

/** Reads events until every `wanted` `kind:member` was seen, or fails after `timeoutMs`. */
export async function announcedWithin(
  events: EventSubscription,
  timeoutMs: number,
  wanted: readonly string[],
): Promise<string[]> {
  const seen: string[] = [];
  const timer = setTimeout(() => events.stop(), timeoutMs);
  try {
    for await (const { event } of events) {
      seen.push(`${event.kind}:${event.member}`);
      if (wanted.every((item) => seen.includes(item))) return seen;
    }
  } finally {
    clearTimeout(timer);
    events.stop();
  }
  throw new Error(
    `within ${timeoutMs} ms saw only [${seen.join(', ')}], not all of [${wanted.join(', ')}]`,
  );
}
