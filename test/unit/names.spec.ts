import { assertValidName, nameError } from '../../libs/domain/src/index.ts';

test.each(['demo', 'pg-1', 'PG_2', 'a'.repeat(64)])('%s is a valid name', (name) => {
  expect(nameError('scope', name)).toBeUndefined();
  expect(assertValidName('member name', name)).toBe(name);
});

test.each(['', 'a.b', 'a*', 'a>', 'with space', 'tab\t', 'ü', 'a'.repeat(65)])(
  '%j is refused with a message naming what it is',
  (name) => {
    expect(nameError('scope', name)).toBe(
      `invalid scope ${JSON.stringify(name)}: use 1 to 64 letters, digits, '-' or '_'`,
    );
    expect(() => assertValidName('member name', name)).toThrow(/^invalid member name /);
  },
);
