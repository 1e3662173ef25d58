import { parse } from 'yaml';
import { CliFailure } from './exit-code.ts';

export type ConfigValue = null | boolean | number | string | ConfigValue[] | ConfigObject;
export interface ConfigObject {
  [key: string]: ConfigValue;
}

function isObject(value: unknown): value is ConfigObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * `--set key.path=value`, the value read as YAML (`100` a number, `on` and `'on'` strings, `true` a
 * boolean, `null` or nothing deletes the key), as patronictl's `edit-config --set` does.
 */
export function patchFromSetting(setting: string): ConfigObject {
  const equals = setting.indexOf('=');
  const dotted = equals < 0 ? [] : setting.slice(0, equals).trim().split('.');
  // A PostgreSQL parameter's name may hold dots (auto_explain.log_min_duration): it stays one key.
  const path =
    dotted[0] === 'postgresql' && dotted[1] === 'parameters' && dotted.length > 3
      ? [...dotted.slice(0, 2), dotted.slice(2).join('.')]
      : dotted;
  if (path.length === 0 || path.some((key) => key === '' || key === '__proto__'))
    throw new CliFailure(`Invalid parameter setting ${setting}`);
  let value: unknown;
  try {
    value = parse(setting.slice(equals + 1)) ?? null;
  } catch (error) {
    throw new CliFailure(`Invalid parameter setting ${setting}: ${(error as Error).message}`);
  }
  let patch = value as ConfigValue;
  for (const key of [...path].reverse()) patch = { [key]: patch };
  return patch as ConfigObject;
}

/** A patch file's text (YAML or JSON): it must hold a mapping. */
export function patchFromDocument(text: string, source: string): ConfigObject {
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new CliFailure(`${source}: not valid YAML: ${(error as Error).message}`);
  }
  if (!isObject(document))
    throw new CliFailure(`${source}: expected a mapping of configuration keys`);
  return document;
}

/** Two patches as one: `later` wins, mappings merge, a null (a deletion) is kept. */
export function mergePatches(earlier: ConfigObject, later: ConfigObject): ConfigObject {
  const merged: ConfigObject = { ...earlier };
  for (const [key, value] of Object.entries(later)) {
    const existing = merged[key];
    merged[key] = isObject(existing) && isObject(value) ? mergePatches(existing, value) : value;
  }
  return merged;
}

/**
 * The merge patch that turns `before` into `after`: changed values, and null for each key that is
 * gone, so that a PATCH of it changes only what was edited.
 */
export function mergePatchBetween(before: ConfigObject, after: ConfigObject): ConfigObject {
  const patch: ConfigObject = {};
  for (const key of Object.keys(before)) if (!Object.hasOwn(after, key)) patch[key] = null;
  for (const [key, value] of Object.entries(after)) {
    const old = Object.hasOwn(before, key) ? before[key] : undefined;
    if (isObject(old) && isObject(value)) {
      const inner = mergePatchBetween(old, value);
      if (Object.keys(inner).length > 0) patch[key] = inner;
    } else if (JSON.stringify(old) !== JSON.stringify(value)) patch[key] = value;
  }
  return patch;
}

/** Deep equality of two configurations, key order aside. */
export function sameConfig(a: ConfigValue | undefined, b: ConfigValue | undefined): boolean {
  if (isObject(a) && isObject(b)) return Object.keys(mergePatchBetween(a, b)).length === 0;
  return JSON.stringify(a) === JSON.stringify(b);
}
