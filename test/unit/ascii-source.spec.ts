import { runInNewContext } from 'node:vm';
import { escapeNonAscii } from '../../scripts/ascii-source.ts';

/** A program using non-ASCII characters wherever JavaScript allows them; it returns what it computed. */
const PROGRAM = `
  // Ünïcödé in a comment
  const café = 'crème brûlée';
  const letters = /^[A-ZÀ-ÖØ-Þ]+$/i;
  const unicode = /^.$/u;
  [
    café,
    \`naïve \${café}\`,
    letters.test('ÉTÉ'),
    letters.test('é'),
    letters.test('Ω'),
    unicode.test('😀'),
    '😀'.length,
    /[😀]/u.test('😀'),
  ];
`;

test('the escaped program is pure ASCII and computes what the original does', () => {
  const escaped = escapeNonAscii(PROGRAM);
  expect(escaped).toMatch(/^[\x20-\x7e\n]*$/);
  expect(escaped).toContain('caf\\u00e9');
  const original: unknown = runInNewContext(PROGRAM);
  expect(runInNewContext(escaped)).toEqual(original);
  expect(original).toEqual([
    'crème brûlée',
    'naïve crème brûlée',
    true,
    true,
    false,
    true,
    2,
    true,
  ]);
});

test('an ASCII source is returned as it is', () => {
  const source = "const a = '\\u00e9'; // plain\n";
  expect(escapeNonAscii(source)).toBe(source);
});

test('a backslash before a non-ASCII character fails instead of changing its meaning', () => {
  expect(() => escapeNonAscii('const a = /\\é/;')).toThrow(
    'cannot escape the character after a backslash at offset 12',
  );
});
