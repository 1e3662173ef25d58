import { RevisionConflictError } from './dcs-errors.ts';

/** How often a failed write is tried again: JetStream elects a stream leader in about a second. */
const RETRY_INTERVAL_MS = 250;

/**
 * Runs `write` until it succeeds or `retryTimeoutMs` has passed, as Patroni retries a DCS operation for
 * `retry_timeout`: while a NATS cluster elects the KV stream's leader, writes fail for a second or two,
 * and a request that came in then should wait for it rather than fail. A revision conflict is an
 * answer, not an outage, so it is thrown at once, as is any error `retryable` refuses; past the bound,
 * the last error is.
 */
export async function retryWithin<T>(
  retryTimeoutMs: number,
  write: () => Promise<T>,
  retryable: (error: unknown) => boolean = () => true,
): Promise<T> {
  const deadline = performance.now() + retryTimeoutMs;
  for (;;) {
    try {
      return await write();
    } catch (error) {
      if (error instanceof RevisionConflictError || !retryable(error)) throw error;
      if (performance.now() + RETRY_INTERVAL_MS > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, RETRY_INTERVAL_MS));
    }
  }
}
