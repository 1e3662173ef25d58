import type { JsonObject, JsonValue } from '@bufbuild/protobuf';

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function children(value: JsonValue): JsonValue[] {
  if (Array.isArray(value)) return value;
  if (isObject(value)) return Object.values(value) as JsonValue[];
  return [];
}

function walk(value: JsonValue | undefined, path: string, found: JsonValue[]): void {
  if (value === undefined) return;
  if (path === '') {
    found.push(value);
    return;
  }
  if (path.startsWith('[')) {
    const close = path.indexOf(']');
    if (close < 0) return;
    const key = path.slice(1, close);
    const rest = path.slice(close + 1);
    if (key === '*') {
      for (const child of children(value)) walk(child, rest, found);
      return;
    }
    for (const part of key.split(',')) {
      if (/^\d+$/.test(part) && Array.isArray(value)) walk(value[Number(part)], rest, found);
      else if (isObject(value) && key.length > 2 && key.startsWith("'") && key.endsWith("'")) {
        const name = key.slice(1, -1);
        walk(Object.hasOwn(value, name) ? value[name] : undefined, rest, found);
      }
    }
    return;
  }
  let rest = path;
  if (rest.startsWith('.')) {
    rest = rest.slice(1);
    if (rest === '') return;
  }
  const end = rest.search(/[.[]/);
  const key = end < 0 ? rest : rest.slice(0, end);
  rest = end < 0 ? '' : rest.slice(end);
  if (key === '*') {
    for (const child of children(value)) walk(child, rest, found);
    return;
  }
  if (isObject(value)) walk(Object.hasOwn(value, key) ? value[key] : undefined, rest, found);
}

/**
 * The values a JSONPath selects, as MaxScale's `filter[<path>]` reads one: dot and bracket notation
 * (`a.b`, `a['b']`, `a[0]`, `a[0,2]`), `*` for every member or element, and an optional leading `$`.
 * A path that is not well formed selects nothing.
 */
export function jsonPathValues(value: JsonValue, path: string): JsonValue[] {
  const found: JsonValue[] = [];
  if (path === '') return found;
  walk(value, path.startsWith('$') ? path.slice(1) : path, found);
  return found;
}
