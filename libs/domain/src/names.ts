/**
 * Scope, namespace and member names become NATS subject tokens (`<ns>.<scope>.agent.<member>.<verb>`)
 * and parts of a KV bucket name, so they may hold only characters that are legal in both:
 * a subject token cannot contain `.`, `*`, `>` or whitespace, and a bucket name allows only
 * letters, digits, `-` and `_`.
 */
const NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export type NameKind = 'namespace' | 'scope' | 'member name';

/** Returns an error message when `value` cannot be used as a `kind`, or undefined when it can. */
export function nameError(kind: NameKind, value: string): string | undefined {
  if (NAME_PATTERN.test(value)) return undefined;
  return `invalid ${kind} ${JSON.stringify(value)}: use 1 to 64 letters, digits, '-' or '_'`;
}

export function assertValidName(kind: NameKind, value: string): string {
  const error = nameError(kind, value);
  if (error) throw new Error(error);
  return value;
}
