/** A command the agent refuses; `code` becomes CommandReply.error_code. */
export class CommandRefusal extends Error {
  constructor(
    readonly code: 'stale_term' | 'bad_request' | 'busy' | 'not_found' | 'failed',
    message: string,
  ) {
    super(message);
    this.name = 'CommandRefusal';
  }
}
