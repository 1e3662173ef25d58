import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';

/** A compare-and-set write found another revision than the one it expected. */
export class RevisionConflictError extends Error {
  constructor(
    readonly key: string,
    readonly expectedRevision: number,
    options?: ErrorOptions,
  ) {
    super(
      expectedRevision === 0
        ? `key ${key} already exists`
        : `key ${key} changed since revision ${expectedRevision}`,
      options,
    );
    this.name = 'RevisionConflictError';
  }
}

/** A key holds a value that does not decode as its proto message (written by hand, or corrupted). */
export class MalformedValueError extends Error {
  constructor(
    readonly key: string,
    readonly revision: number,
    readonly reason: string,
  ) {
    super(`key ${key} at revision ${revision} holds a malformed value: ${reason}`);
    this.name = 'MalformedValueError';
  }
}

export function isWrongLastSequence(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamWrongLastSequence ||
      error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}
