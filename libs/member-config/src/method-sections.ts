import type { MethodSection, MethodValue } from '../../domain/src/index.ts';
import type { BootstrapMethodOptions } from './member-config.ts';
import { isRecord } from './plain-document.ts';

/** The sections named by the `create_replica_methods` lists and `bootstrap.method`, taken out of the document. */
export interface MethodSections {
  readonly replicaMethodOptions: Record<string, MethodSection>;
  readonly bootstrapMethodOptions: BootstrapMethodOptions | undefined;
  readonly problems: string[];
}

function isScalar(value: unknown): value is MethodValue {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function scalarSection(
  value: unknown,
  path: string,
  problems: string[],
  except: readonly string[] = [],
): Record<string, MethodValue> {
  if (!isRecord(value)) {
    problems.push(`${path}: must be a mapping`);
    return {};
  }
  const section: Record<string, MethodValue> = {};
  for (const [key, item] of Object.entries(value)) {
    if (except.includes(key)) continue;
    if (isScalar(item)) section[key] = item;
    else problems.push(`${path}.${key}: must be a string, a number or a boolean`);
  }
  return section;
}

/** Names of a `create_replica_methods` list, if `value` is one. */
function methodNames(value: unknown): string[] {
  return Array.isArray(value)
    ? value.filter((method): method is string => typeof method === 'string')
    : [];
}

/**
 * The `postgresql` keys that are replica methods' sections: those named by
 * `postgresql.create_replica_methods` or `bootstrap.dcs.standby_cluster.create_replica_methods`.
 */
function replicaMethodKeys(postgresql: Record<string, unknown>, bootstrap: unknown): string[] {
  const dcs = isRecord(bootstrap) ? bootstrap['dcs'] : undefined;
  const standby = isRecord(dcs) ? dcs['standby_cluster'] : undefined;
  const named = [
    ...methodNames(postgresql['create_replica_methods']),
    ...methodNames(isRecord(standby) ? standby['create_replica_methods'] : undefined),
  ];
  return [...new Set(named)].filter((method) => method !== 'basebackup' && method in postgresql);
}

/**
 * As in Patroni, a replica method's settings live under `postgresql.<method>` and a custom bootstrap's
 * under `bootstrap.<method>`: keys whose names the user chooses. They are taken out of `document` (a
 * copy) before the fixed keys are validated, and checked here.
 */
export function takeMethodSections(document: Record<string, unknown>): MethodSections {
  const problems: string[] = [];
  const replicaMethodOptions: Record<string, MethodSection> = {};
  const postgresql = document['postgresql'];
  if (isRecord(postgresql)) {
    for (const method of replicaMethodKeys(postgresql, document['bootstrap'])) {
      replicaMethodOptions[method] = scalarSection(
        postgresql[method],
        `postgresql.${method}`,
        problems,
      );
      delete postgresql[method];
    }
  }
  return {
    replicaMethodOptions,
    bootstrapMethodOptions: takeBootstrapMethod(document['bootstrap'], problems),
    problems,
  };
}

function takeBootstrapMethod(
  bootstrap: unknown,
  problems: string[],
): BootstrapMethodOptions | undefined {
  if (!isRecord(bootstrap)) return undefined;
  const method = bootstrap['method'];
  if (typeof method !== 'string' || method === 'initdb') return undefined;
  const path = `bootstrap.${method}`;
  const raw = bootstrap[method];
  delete bootstrap[method];
  if (!isRecord(raw) || typeof raw['command'] !== 'string' || raw['command'].trim() === '') {
    problems.push(`${path}: bootstrap.method is "${method}", so ${path}.command must be given`);
    return undefined;
  }
  const section = scalarSection(raw, path, problems, ['recovery_conf']);
  const keep = section['keep_existing_recovery_conf'];
  if (keep !== undefined && typeof keep !== 'boolean')
    problems.push(`${path}.keep_existing_recovery_conf: must be a boolean`);
  const recovery = raw['recovery_conf'];
  return {
    section,
    keep_existing_recovery_conf: keep === true,
    recovery_conf:
      recovery === undefined
        ? undefined
        : scalarSection(recovery, `${path}.recovery_conf`, problems),
  };
}
