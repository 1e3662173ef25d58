import { readFile } from 'node:fs/promises';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { parse } from 'yaml';
import { RouterConfigDto } from './router-config.dto.ts';

/** The variable that names the router updater's YAML file. */
export const ROUTER_CONFIG_VARIABLE = 'NATRONI_ROUTERS_CONFIG';

export type RouterConfig = RouterConfigDto;

/** Injection token of the router updater's configuration. */
export const ROUTER_CONFIG = Symbol('RouterConfig');

export class RouterConfigError extends Error {
  constructor(source: string, problems: readonly string[]) {
    super(`invalid router configuration ${source}: ${problems.join('; ')}`);
    this.name = 'RouterConfigError';
  }
}

function describe(errors: readonly ValidationError[], parent: string): string[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.entries(error.constraints ?? {}).map(([constraint, message]) =>
      constraint === 'whitelistValidation' ? `${path}: unknown key` : `${path}: ${message}`,
    );
    return [...own, ...describe(error.children ?? [], path)];
  });
}

/** Validates a parsed YAML document; throws a `RouterConfigError` listing every problem. */
export function parseRouterConfig(document: unknown, source: string): RouterConfig {
  if (document === null || typeof document !== 'object' || Array.isArray(document))
    throw new RouterConfigError(source, ['the document must be a mapping']);
  const config = plainToInstance(RouterConfigDto, document, { exposeDefaultValues: true });
  const problems = describe(
    validateSync(config, { whitelist: true, forbidNonWhitelisted: true }),
    '',
  );
  const names = [...config.haproxy, ...config.pgbouncer].map((router) => router.name);
  const twice = names.filter((name, index) => names.indexOf(name) !== index);
  if (twice.length > 0)
    problems.push(`router names must differ: ${[...new Set(twice)].join(', ')}`);
  for (const router of config.haproxy) {
    if (router.primary_backend === undefined && router.replica_backends.length === 0)
      problems.push(`haproxy ${router.name}: name a primary_backend or replica_backends`);
  }
  if (problems.length > 0) throw new RouterConfigError(source, problems);
  return config;
}

export async function loadRouterConfig(path: string): Promise<RouterConfig> {
  let document: unknown;
  try {
    document = parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new RouterConfigError(path, [(error as Error).message]);
  }
  return parseRouterConfig(document, path);
}
