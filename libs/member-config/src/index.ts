export { ENVIRONMENT_OVERRIDES, type Environment } from './environment-overrides.ts';
export { loadMemberConfig } from './load-member-config.ts';
export { MemberConfigError } from './member-config-error.ts';
export { parseMemberConfig } from './parse-member-config.ts';
export type * from './member-config.ts';

/** Injection token under which a member's services receive its MemberConfig. */
export const MEMBER_CONFIG = Symbol('MemberConfig');
