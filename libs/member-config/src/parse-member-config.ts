import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { applyEnvironment, type Environment } from './environment-overrides.ts';
import type { MemberConfig } from './member-config.ts';
import { MemberConfigDto } from './member-config.dto.ts';
import { MemberConfigError } from './member-config-error.ts';
import { isRecord } from './plain-document.ts';

/**
 * Validates a parsed configuration document, with the environment's overrides applied, and fills in
 * Patroni's defaults. Throws a MemberConfigError that names every bad key at once.
 */
export function parseMemberConfig(
  document: unknown,
  env: Environment,
  source: string,
): MemberConfig {
  if (!isRecord(document)) {
    throw new MemberConfigError(source, [
      'the file must hold a mapping of keys (scope, name, ...)',
    ]);
  }
  const { document: merged, origins } = applyEnvironment(document, env);
  const dto = plainToInstance(MemberConfigDto, merged, { exposeDefaultValues: true });
  const errors = validateSync(dto, {
    whitelist: true,
    forbidNonWhitelisted: true,
    stopAtFirstError: true,
  });
  if (errors.length > 0) throw new MemberConfigError(source, describeErrors(errors, '', origins));
  return {
    ...dto,
    restapi: { ...dto.restapi, connect_address: dto.restapi.connect_address ?? dto.restapi.listen },
    postgresql: {
      ...dto.postgresql,
      connect_address: dto.postgresql.connect_address ?? dto.postgresql.listen,
    },
  };
}

function describeErrors(
  errors: readonly ValidationError[],
  parent: string,
  origins: ReadonlyMap<string, string>,
): string[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const origin = origins.get(path);
    const where = origin ? `${path} (from ${origin})` : path;
    const own = Object.entries(error.constraints ?? {}).map(([constraint, message]) =>
      constraint === 'whitelistValidation'
        ? `${where}: unknown key`
        : `${where}: ${message.replace(new RegExp(`^${error.property} `), '')}`,
    );
    return [...own, ...describeErrors(error.children ?? [], path, origins)];
  });
}
