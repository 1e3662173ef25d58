import type { JsonValue } from '@bufbuild/protobuf';
import { JsonApiError } from './json-api-error.ts';

/** Whether one JSON value (what a filter's pointer or path selects) matches. */
export type ValueMatcher = (value: JsonValue) => boolean;

class FilterParseError extends Error {}

function jsonType(value: JsonValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function sameJson(a: JsonValue, b: JsonValue): boolean {
  if (jsonType(a) !== jsonType(b)) return false;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((item, index) => sameJson(item, b[index] as JsonValue));
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const left = a as Record<string, JsonValue>;
    const right = b as Record<string, JsonValue>;
    const keys = Object.keys(left);
    return (
      keys.length === Object.keys(right).length &&
      keys.every((key) => Object.hasOwn(right, key) && sameJson(left[key]!, right[key]!))
    );
  }
  return a === b;
}

/** Ordering is defined between two strings or two numbers; any other pair is unordered. */
function lessThan(a: JsonValue, b: JsonValue): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a < b;
  if (typeof a === 'number' && typeof b === 'number') return a < b;
  return false;
}

/**
 * MaxScale's comparisons, le and ge included: they are written as "not greater" and "not less", so
 * an unordered pair (a string against a number) is both le and ge.
 */
const COMPARISONS: Readonly<Record<string, (value: JsonValue, operand: JsonValue) => boolean>> = {
  eq: (value, operand) => sameJson(value, operand),
  ne: (value, operand) => !sameJson(value, operand),
  lt: (value, operand) => lessThan(value, operand),
  gt: (value, operand) => lessThan(operand, value),
  le: (value, operand) => lessThan(value, operand) || !lessThan(operand, value),
  ge: (value, operand) => lessThan(operand, value) || !lessThan(value, operand),
};

const LOGIC = ['and', 'or', 'not'] as const;

/** Where the JSON value that starts `text` ends (one value; what follows is left alone). */
function jsonValueEnd(text: string): number {
  const first = text[0];
  if (first === '"') {
    for (let index = 1; index < text.length; index += 1) {
      if (text[index] === '\\') index += 1;
      else if (text[index] === '"') return index + 1;
    }
    return -1;
  }
  if (first === '{' || first === '[') {
    let depth = 0;
    for (let index = 0; index < text.length; index += 1) {
      const char = text[index];
      if (char === '"') {
        const end = jsonValueEnd(text.slice(index));
        if (end < 0) return -1;
        index += end - 1;
      } else if (char === '{' || char === '[') depth += 1;
      else if (char === '}' || char === ']') {
        depth -= 1;
        if (depth === 0) return index + 1;
      }
    }
    return -1;
  }
  const scalar = /^(?:-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text);
  return scalar ? scalar[0].length : -1;
}

/**
 * The filter expression language of MaxScale's REST API: a JSON literal (equality) or `eq()`, `ne()`,
 * `lt()`, `gt()`, `le()`, `ge()` around a JSON literal, and `and()`, `or()`, `not()` around a
 * comma-separated list of expressions. A literal that starts with a letter (`true`) is read only
 * inside a function, as MaxScale does.
 */
class FilterParser {
  constructor(private rest: string) {}

  parse(): ValueMatcher {
    const matcher = this.expression();
    if (this.rest !== '') throw new FilterParseError(`Unexpected trailing data: ${this.rest}`);
    return matcher;
  }

  private expression(): ValueMatcher {
    if (this.rest === '') throw new FilterParseError('Empty filter expression');
    if (!/^[A-Za-z]/.test(this.rest)) {
      const saved = this.rest;
      try {
        const literal = this.json();
        return (value) => sameJson(value, literal);
      } catch (error) {
        if (!(error instanceof FilterParseError)) throw error;
        this.rest = saved;
      }
    }
    for (const [name, compare] of Object.entries(COMPARISONS)) {
      if (!this.take(name)) continue;
      this.expect('(');
      const operand = this.json();
      this.expect(')');
      return (value) => compare(value, operand);
    }
    for (const name of LOGIC) {
      if (!this.take(name)) continue;
      this.expect('(');
      const parts = [this.expression()];
      while (this.take(',')) parts.push(this.expression());
      this.expect(')');
      if (name === 'and') return (value) => parts.every((part) => part(value));
      if (name === 'or') return (value) => parts.some((part) => part(value));
      return (value) => !parts.some((part) => part(value));
    }
    throw new FilterParseError(`Not a valid filter expression: ${this.rest}`);
  }

  private json(): JsonValue {
    const end = jsonValueEnd(this.rest);
    if (end > 0) {
      try {
        const value = JSON.parse(this.rest.slice(0, end)) as JsonValue;
        this.rest = this.rest.slice(end);
        return value;
      } catch {
        // reported below, as MaxScale words it
      }
    }
    throw new FilterParseError(`Invalid JSON: ${this.rest}`);
  }

  private take(token: string): boolean {
    if (!this.rest.startsWith(token)) return false;
    this.rest = this.rest.slice(token.length);
    return true;
  }

  private expect(token: string): void {
    const found = this.rest.slice(0, token.length);
    if (found !== token) throw new FilterParseError(`Expected '${token}', got '${found}'`);
    this.rest = this.rest.slice(token.length);
  }
}

/** Parses a filter expression; a bad one is a 400 with MaxScale's message. */
export function parseFilterExpression(text: string): ValueMatcher {
  try {
    return new FilterParser(text).parse();
  } catch (error) {
    if (error instanceof FilterParseError) throw new JsonApiError(400, [error.message]);
    throw error;
  }
}
