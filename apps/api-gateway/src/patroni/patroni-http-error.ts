/**
 * A refusal in Patroni's style: `text` is written as the plain body (Patroni's `write_response`), or,
 * with `errorPage`, as the HTML error page of Python's `send_error`.
 */
export class PatroniHttpError extends Error {
  constructor(
    readonly status: number,
    readonly text: string,
    readonly errorPage = false,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(text);
    this.name = 'PatroniHttpError';
  }

  static page(status: number): PatroniHttpError {
    return new PatroniHttpError(status, '', true);
  }
}
