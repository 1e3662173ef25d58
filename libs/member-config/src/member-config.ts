import type { BasebackupOptions, MethodSection, MethodValue } from '../../domain/src/index.ts';

/**
 * One member's configuration, laid out like Patroni's YAML (`scope`, `name`, `restapi`, `postgresql`,
 * `bootstrap`, `tags`), with a `nats` section where Patroni has etcd. Keys keep Patroni's spelling so
 * that one concept has one name in the file, the code and the docs.
 */
export interface Credentials {
  readonly username: string;
  readonly password?: string;
}

export interface NatsTls {
  readonly ca_file?: string;
  readonly cert_file?: string;
  readonly key_file?: string;
}

export interface NatsConfig {
  readonly servers: readonly string[];
  readonly user?: string;
  readonly password?: string;
  readonly credentials_file?: string;
  readonly tls?: NatsTls;
  /** Replicas of the cluster's KV bucket: as many as there are NATS servers (1 locally, 3 clustered). */
  readonly kv_replicas: number;
}

export interface RestApiConfig {
  /** `host:port` the member's Patroni-compatible API listens on. */
  readonly listen: string;
  /** `host:port` other members and clients use to reach it (api_url). */
  readonly connect_address: string;
  readonly authentication?: Credentials;
  readonly certfile?: string;
  readonly keyfile?: string;
}

export type CallbackAction = 'on_start' | 'on_stop' | 'on_restart' | 'on_reload' | 'on_role_change';

export type ParameterValue = string | number | boolean;

export interface PostgresqlConfig {
  /** `host:port` PostgreSQL listens on (listen_addresses and port). */
  readonly listen: string;
  /** `host:port` other members use to reach it (conn_url, primary_conninfo). */
  readonly connect_address: string;
  readonly data_dir: string;
  readonly bin_dir: string;
  /** Directory for the Unix socket; the data directory when absent. */
  readonly unix_socket_directory?: string;
  readonly authentication: {
    readonly superuser: Credentials;
    readonly replication: Credentials;
    readonly rewind?: Credentials;
  };
  readonly parameters: Readonly<Record<string, ParameterValue>>;
  readonly pg_hba: readonly string[];
  readonly use_pg_rewind: boolean;
  readonly remove_data_directory_on_rewind_failure: boolean;
  readonly remove_data_directory_on_diverged_timelines: boolean;
  /** Replica creation methods, tried in order until one succeeds; empty means `basebackup` alone. */
  readonly create_replica_methods: readonly string[];
  /**
   * The section of each custom method of `create_replica_methods` (`postgresql.<method>` in the file):
   * `command`, `no_leader`, `keep_data`, `no_params`, and arguments for the command.
   */
  readonly replica_method_options: Readonly<Record<string, MethodSection>>;
  /** Extra pg_basebackup options (`postgresql.basebackup`), a mapping or a list, as in Patroni. */
  readonly basebackup?: BasebackupOptions;
  readonly callbacks: Readonly<Partial<Record<CallbackAction, string>>>;
  /** Seconds a callback may run before it is killed. */
  readonly callback_timeout: number;
  /** OS user that runs PostgreSQL when natroni runs as root (PostgreSQL refuses root). */
  readonly os_user?: string;
}

/** The section of a custom `bootstrap.method` (`bootstrap.<method>` in the file). */
export interface BootstrapMethodOptions {
  /** The section's scalars: `command`, `no_params`, and arguments for the command. */
  readonly section: MethodSection;
  /** Keep the recovery settings and signal files the command left (pgBackRest, Barman write them). */
  readonly keep_existing_recovery_conf: boolean;
  /** Recovery settings to start the restored cluster with (restore_command, recovery_target_*, ...). */
  readonly recovery_conf?: Readonly<Record<string, MethodValue>>;
}

export interface BootstrapConfig {
  /** Written to the `config` key by the member that bootstraps the cluster. */
  readonly dcs: Readonly<Record<string, unknown>>;
  /** initdb options: `- data-checksums` or `- encoding: UTF8`, as in Patroni. */
  readonly initdb: readonly (string | Readonly<Record<string, string>>)[];
  /** `initdb` (the default) or the name of a custom method whose section is `method_options`. */
  readonly method: string;
  readonly method_options?: BootstrapMethodOptions;
  /** A command run once after bootstrap, with the superuser connection URL as its argument. */
  readonly post_bootstrap?: string;
  /** Patroni's other name for `post_bootstrap`, used when `post_bootstrap` is not set. */
  readonly post_init?: string;
  /**
   * Seconds the election waits for the bootstrap (initdb, or the custom method, its recovery and
   * `post_bootstrap`) before it frees the `initialize` key; a restore of a large backup needs hours. The
   * node-agent gives up 10 s earlier, so that no two bootstraps overlap. Not a Patroni key: Patroni's
   * bootstrap has no bound.
   */
  readonly timeout: number;
}

export type Tags = Readonly<Record<string, string | number | boolean>>;

export interface MemberConfig {
  /** NATS subject prefix; `natroni` unless several installations share one NATS. */
  readonly namespace: string;
  readonly scope: string;
  readonly name: string;
  readonly nats: NatsConfig;
  readonly restapi: RestApiConfig;
  readonly postgresql: PostgresqlConfig;
  readonly bootstrap: BootstrapConfig;
  readonly tags: Tags;
}
