import { parse } from 'yaml';
import { CliFailure, ExitCode } from './exit-code.ts';

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
  const path = equals < 0 ? [] : setting.slice(0, equals).trim().split('.');
  if (path.length === 0 || path.some((key) => key === '' || key === '__proto__'))
    throw new CliFailure(ExitCode.usage, `--set ${setting}: expected key.path=value`);
  let value: unknown;
  try {
    value = parse(setting.slice(equals + 1)) ?? null;
  } catch (error) {
    throw new CliFailure(ExitCode.usage, `--set ${setting}: ${(error as Error).message}`);
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
    throw new CliFailure(ExitCode.usage, `${source}: not valid YAML: ${(error as Error).message}`);
  }
  if (!isObject(document))
    throw new CliFailure(ExitCode.usage, `${source}: expected a mapping of configuration keys`);
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

export interface ConfigChange {
  readonly key: string;
  readonly before?: ConfigValue;
  readonly after?: ConfigValue;
}

/** Every leaf key whose value differs between two configurations, as dotted paths in order. */
export function configChanges(
  before: ConfigObject,
  after: ConfigObject,
  prefix = '',
): ConfigChange[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const changes: ConfigChange[] = [];
  for (const key of keys) {
    const dotted = prefix + key;
    const old = Object.hasOwn(before, key) ? before[key] : undefined;
    const now = Object.hasOwn(after, key) ? after[key] : undefined;
    // A subtree that appears or vanishes is compared leaf by leaf against an empty one.
    const subtree = isObject(old) || isObject(now);
    const bothSubtrees =
      (old === undefined || isObject(old)) && (now === undefined || isObject(now));
    if (subtree && bothSubtrees) {
      changes.push(
        ...configChanges(isObject(old) ? old : {}, isObject(now) ? now : {}, `${dotted}.`),
      );
    } else if (JSON.stringify(old) !== JSON.stringify(now)) {
      changes.push({
        key: dotted,
        ...(old === undefined ? {} : { before: old }),
        ...(now === undefined ? {} : { after: now }),
      });
    }
  }
  return changes;
}

/** The changes as diff lines: `-key: old` and `+key: new`. */
export function describeChanges(changes: readonly ConfigChange[]): string[] {
  return changes.flatMap((change) => [
    ...(change.before === undefined ? [] : [`-${change.key}: ${JSON.stringify(change.before)}`]),
    ...(change.after === undefined ? [] : [`+${change.key}: ${JSON.stringify(change.after)}`]),
  ]);
}
