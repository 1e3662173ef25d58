import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import type { Environment } from './environment-overrides.ts';
import type { MemberConfig } from './member-config.ts';
import { MemberConfigError } from './member-config-error.ts';
import { parseMemberConfig } from './parse-member-config.ts';

/** Reads and validates a member's YAML configuration file, with the environment's overrides. */
export async function loadMemberConfig(path: string, env: Environment): Promise<MemberConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new MemberConfigError(path, [`cannot read the file: ${(error as Error).message}`]);
  }
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new MemberConfigError(path, [`not valid YAML: ${(error as Error).message}`]);
  }
  return parseMemberConfig(document, env, path);
}
