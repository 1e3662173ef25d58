/**
 * Patroni's custom bootstrap and replica creation (`bootstrap.method`, `create_replica_methods`): which
 * methods run in which order, and the arguments each command receives.
 */

/** A scalar of a method's section in the YAML file. */
export type MethodValue = string | number | boolean;

/** A section such as `postgresql.<method>` or `bootstrap.<method>`: every key but the special ones is passed on. */
export type MethodSection = Readonly<Record<string, MethodValue>>;

/** `postgresql.basebackup`: a mapping, or a list of flags and one-key mappings, as Patroni takes it. */
export type BasebackupOptions =
  Readonly<Record<string, MethodValue>> | readonly (string | Readonly<Record<string, string>>)[];

/** The method Patroni names `basebackup`: natroni's own pg_basebackup. */
export const BASEBACKUP_METHOD = 'basebackup';

/** Options natroni sets itself (or that would make the copy unusable), refused as Patroni does. */
const BASEBACKUP_NOT_ALLOWED = [
  'pgdata',
  'format',
  'wal-method',
  'xlog-method',
  'gzip',
  'version',
  'dbname',
  'host',
  'port',
  'username',
  'password',
];

/** A value as Python's str() writes it: Patroni formats arguments that way. */
function pythonText(value: MethodValue): string {
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  return String(value);
}

/** Patroni's unquote: a value wrapped in matching quotes loses them. */
function unquote(value: string): string {
  const quoted = /^(["'])(.*)\1$/s.exec(value);
  return quoted ? quoted[2] : value;
}

/**
 * Patroni's `process_user_options` for pg_basebackup: `--name=value` and `--flag` arguments, and the
 * problems, each in Patroni's words. From PostgreSQL 15, only server-side compression is allowed.
 */
export function basebackupArguments(options: BasebackupOptions | undefined): {
  args: string[];
  problems: string[];
} {
  const args: string[] = [];
  const problems: string[] = [];
  const allowed = (name: string): boolean => {
    if (!BASEBACKUP_NOT_ALLOWED.includes(name)) return true;
    problems.push(`${name} option for basebackup is not allowed`);
    return false;
  };
  const add = (name: string, value: string): void => {
    if (name === 'compress' && !value.startsWith('server')) {
      problems.push(
        'compress option for basebackup must use server-side compression (e.g., server-gzip, server-zstd). Client-side compression is not allowed.',
      );
      return;
    }
    args.push(`--${name}=${unquote(value)}`);
  };
  if (options === undefined) return { args, problems };
  if (Array.isArray(options)) {
    for (const option of options as readonly unknown[]) {
      if (typeof option === 'string') {
        if (allowed(option)) args.push(`--${option}`);
        continue;
      }
      const entries = typeof option === 'object' && option !== null ? Object.entries(option) : [];
      const [name, value] = entries[0] ?? [];
      if (entries.length !== 1 || typeof value !== 'string' || name === undefined) {
        problems.push(
          `Error when parsing basebackup key-value option ${JSON.stringify(value ?? option)}: only one key-value is allowed and value should be a string`,
        );
        continue;
      }
      if (allowed(name)) add(name, value);
    }
  } else {
    for (const [name, value] of Object.entries(options)) {
      if (name !== '' && isSet(value) && allowed(name)) add(name, pythonText(value));
    }
  }
  return { args, problems };
}

export interface ReplicaMethodFacts {
  /** `postgresql.create_replica_methods`, in order; empty means `basebackup` alone. */
  readonly methods: readonly string[];
  /** The sections of those methods, by name. */
  readonly options: Readonly<Record<string, MethodSection>>;
  /** Whether there is a member to copy from (a leader or a `clonefrom` replica). */
  readonly withSource: boolean;
  /** A reinitialize `--from-leader`: basebackup from the leader only. */
  readonly fromLeader: boolean;
}

function isSet(value: MethodValue | undefined): boolean {
  return value !== undefined && value !== false && value !== 0 && value !== '';
}

/**
 * The methods to try, first to last, as Patroni's `create_replica`: without a member to copy from, only
 * the methods with `no_leader` (basebackup always needs one).
 */
export function replicaMethodOrder(facts: ReplicaMethodFacts): string[] {
  const methods = facts.fromLeader
    ? [BASEBACKUP_METHOD]
    : facts.methods.length > 0
      ? [...facts.methods]
      : [BASEBACKUP_METHOD];
  if (facts.withSource) return methods;
  return methods.filter((method) => worksWithoutLeader(method, facts.options));
}

/** A method other than basebackup with `no_leader`: it needs no member to copy from. */
function worksWithoutLeader(
  method: string,
  options: Readonly<Record<string, MethodSection>>,
): boolean {
  return method !== BASEBACKUP_METHOD && isSet(options[method]?.['no_leader']);
}

/**
 * Whether some method can create a replica without a member to copy from, as Patroni's
 * `can_create_replica_without_replication_connection`: a method other than basebackup with `no_leader`.
 * With no `create_replica_methods`, basebackup alone: never.
 */
export function canCreateReplicaWithoutLeader(
  methods: readonly string[],
  options: Readonly<Record<string, MethodSection>>,
): boolean {
  return methods.some((method) => worksWithoutLeader(method, options));
}

/** What a custom method runs: its command line (shell words) and the arguments natroni appends. */
export interface MethodCall {
  readonly command: string;
  readonly args: string[];
}

export interface ReplicaMethodCall extends MethodCall {
  /** `keep_data`: the data directory is not emptied before the command, nor after it fails. */
  readonly keepData: boolean;
}

/**
 * A custom replica method's call, as Patroni builds it: `command` (the method's name when absent), then
 * `--key=value` for every other key of its section and, unless `no_params`, `--scope`, `--role=replica`,
 * `--datadir` and `--connstring` (empty without a source). With `no_params`, the special keys
 * `no_leader` and `keep_data` are not passed either.
 */
export function replicaMethodCall(
  method: string,
  section: MethodSection | undefined,
  context: { scope: string; dataDir: string; connstring: string },
): ReplicaMethodCall {
  const settings = new Map<string, MethodValue>(Object.entries(section ?? {}));
  const command = settings.has('command') ? String(settings.get('command')) : method;
  settings.delete('command');
  const keepData = isSet(settings.get('keep_data'));
  if (isSet(settings.get('no_params'))) {
    for (const special of ['no_params', 'no_leader', 'keep_data']) settings.delete(special);
  } else {
    settings.set('scope', context.scope);
    settings.set('role', 'replica');
    settings.set('datadir', context.dataDir);
    settings.set('connstring', context.connstring);
  }
  return {
    command,
    args: [...settings].map(([name, value]) => `--${name}=${pythonText(value)}`),
    keepData,
  };
}

/** `bootstrap.<method>` keys that natroni reads itself and does not pass to the command. */
const BOOTSTRAP_RESERVED = new Set([
  'command',
  'no_params',
  'keep_existing_recovery_conf',
  'recovery_conf',
  'scope',
  'datadir',
]);

/**
 * A custom bootstrap's call, as Patroni's `_custom_bootstrap`: `command`, then (unless `no_params`)
 * `--scope` and `--datadir`, then `--key=value` for every other key of the section.
 */
export function customBootstrapCall(
  section: Readonly<Record<string, unknown>>,
  context: { scope: string; dataDir: string },
): MethodCall {
  const noParams = section['no_params'];
  const args =
    noParams !== undefined && isSet(noParams as MethodValue)
      ? []
      : [`--scope=${context.scope}`, `--datadir=${context.dataDir}`];
  for (const [name, value] of Object.entries(section)) {
    if (BOOTSTRAP_RESERVED.has(name)) continue;
    args.push(`--${name}=${pythonText(value as MethodValue)}`);
  }
  return { command: String(section['command']), args };
}

/**
 * Whether a failed pg_rewind empties the data directory for a new clone, as Patroni's rewind: only
 * with `remove_data_directory_on_rewind_failure` or `..._on_diverged_timelines`, and only when the source
 * still answers as a primary (a rewind that failed because the primary became unreachable says nothing
 * about this member's data).
 */
export function removeDataAfterRewindFailure(facts: {
  removeOnRewindFailure: boolean;
  removeOnDivergedTimelines: boolean;
  sourceIsPrimary: boolean;
}): boolean {
  return facts.sourceIsPrimary && (facts.removeOnRewindFailure || facts.removeOnDivergedTimelines);
}
