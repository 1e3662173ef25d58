import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import {
  basebackupArguments,
  standbyClusterProblems,
  type BasebackupOptions,
} from '../../domain/src/index.ts';
import { applyEnvironment, type Environment } from './environment-overrides.ts';
import type { MemberConfig } from './member-config.ts';
import { MemberConfigDto } from './member-config.dto.ts';
import { MemberConfigError } from './member-config-error.ts';
import { takeMethodSections } from './method-sections.ts';
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
  const sections = takeMethodSections(merged);
  const dto = plainToInstance(MemberConfigDto, merged, { exposeDefaultValues: true });
  const errors = validateSync(dto, {
    whitelist: true,
    forbidNonWhitelisted: true,
    stopAtFirstError: true,
  });
  const problems = [...describeErrors(errors, '', origins), ...sections.problems];
  if (errors.length === 0) problems.push(...semanticProblems(dto));
  if (problems.length > 0) throw new MemberConfigError(source, problems);
  return {
    ...dto,
    restapi: { ...dto.restapi, connect_address: dto.restapi.connect_address ?? dto.restapi.listen },
    postgresql: {
      ...dto.postgresql,
      connect_address: dto.postgresql.connect_address ?? dto.postgresql.listen,
      basebackup: dto.postgresql.basebackup as BasebackupOptions | undefined,
      replica_method_options: sections.replicaMethodOptions,
    },
    bootstrap: { ...dto.bootstrap, method_options: sections.bootstrapMethodOptions },
  };
}

/** Rules across keys, in Patroni's words where Patroni has them. */
function semanticProblems(dto: MemberConfigDto): string[] {
  const problems: string[] = [];
  const basebackup = dto.postgresql.basebackup;
  if (basebackup !== undefined) {
    if (typeof basebackup !== 'object' || basebackup === null)
      problems.push('postgresql.basebackup: must be a mapping or a list');
    else
      problems.push(
        ...basebackupArguments(basebackup as BasebackupOptions).problems.map(
          (problem) => `postgresql.basebackup: ${problem}`,
        ),
      );
  }
  const dcs = dto.bootstrap.dcs;
  const standby = dcs['standby_cluster'];
  if (isRecord(standby))
    problems.push(...standbyClusterProblems(standby).map((problem) => `bootstrap.dcs.${problem}`));
  return problems;
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
