/**
 * A bundle's source with every non-ASCII character written as a \u escape.
 *
 * Why: esbuild escapes non-ASCII characters in strings but leaves them in regular expressions and
 * comments (validator's alphabets, for one). A single one makes V8 hold the whole 6 MB bundle as a
 * two-byte string, which costs every service start some 15-25 ms of CPU: decoding it, and scanning it
 * again whenever a stack trace needs its line ends. In strings, templates, regular expressions
 * (with or without the u flag), identifiers and comments, the escape means the same character.
 * Astral characters become surrogate-pair escapes, which strings and regular expressions read as the
 * same code point.
 *
 * A backslash right before a non-ASCII character would turn the escape into a literal backslash; no
 * bundle has one, and one would fail the build rather than change a program's meaning.
 */
export function escapeNonAscii(source: string): string {
  return source.replace(/[\u0080-\uffff]/g, (character, offset: number) => {
    if (source[offset - 1] === '\\') {
      throw new Error(`cannot escape the character after a backslash at offset ${offset}`);
    }
    return `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}
