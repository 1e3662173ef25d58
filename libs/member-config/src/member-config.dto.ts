import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  Allow,
  ArrayNotEmpty,
  IsArray,
  IsBoolean,
  IsDefined,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import type { CallbackAction, ParameterValue } from './member-config.ts';

/** `host:port`, as Patroni writes listen and connect addresses. */
const ADDRESS = /^[^\s:]+(:[^\s:]+)*:\d{1,5}$/;
const ADDRESS_MESSAGE = 'must be host:port';
/** The same rule as libs/domain's nameError: names become NATS subject tokens and bucket names. */
const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const NAME_MESSAGE = "must be 1 to 64 letters, digits, '-' or '_'";

class CredentialsDto {
  @IsString()
  @IsNotEmpty()
  username!: string;

  @IsOptional()
  @IsString()
  password?: string;
}

class NatsTlsDto {
  @IsOptional() @IsString() ca_file?: string;
  @IsOptional() @IsString() cert_file?: string;
  @IsOptional() @IsString() key_file?: string;
}

class NatsDto {
  @IsArray()
  @ArrayNotEmpty()
  @IsString({ each: true })
  servers: string[] = ['nats://127.0.0.1:4222'];

  @IsOptional() @IsString() user?: string;
  @IsOptional() @IsString() password?: string;
  @IsOptional() @IsString() credentials_file?: string;

  @IsOptional()
  @ValidateNested()
  @Type(() => NatsTlsDto)
  tls?: NatsTlsDto;

  @IsInt()
  @Min(1)
  @Max(5)
  kv_replicas = 1;
}

class RestApiDto {
  @IsDefined()
  @Matches(ADDRESS, { message: ADDRESS_MESSAGE })
  listen!: string;

  @IsOptional()
  @Matches(ADDRESS, { message: ADDRESS_MESSAGE })
  connect_address?: string;

  @IsOptional()
  @ValidateNested()
  @Type(() => CredentialsDto)
  authentication?: CredentialsDto;

  @IsOptional() @IsString() certfile?: string;
  @IsOptional() @IsString() keyfile?: string;
}

class SuperuserDto extends CredentialsDto {
  override username = 'postgres';
}

class ReplicationUserDto extends CredentialsDto {
  override username = 'replicator';
}

class PostgresqlAuthenticationDto {
  @ValidateNested()
  @Type(() => SuperuserDto)
  superuser = new SuperuserDto();

  @ValidateNested()
  @Type(() => ReplicationUserDto)
  replication = new ReplicationUserDto();

  @IsOptional()
  @ValidateNested()
  @Type(() => CredentialsDto)
  rewind?: CredentialsDto;
}

class CallbacksDto implements Partial<Record<CallbackAction, string>> {
  @IsOptional() @IsString() on_start?: string;
  @IsOptional() @IsString() on_stop?: string;
  @IsOptional() @IsString() on_restart?: string;
  @IsOptional() @IsString() on_reload?: string;
  @IsOptional() @IsString() on_role_change?: string;
}

class PostgresqlDto {
  @IsDefined()
  @Matches(ADDRESS, { message: ADDRESS_MESSAGE })
  listen!: string;

  @IsOptional()
  @Matches(ADDRESS, { message: ADDRESS_MESSAGE })
  connect_address?: string;

  @IsDefined()
  @IsString()
  @IsNotEmpty()
  data_dir!: string;

  @IsString()
  @IsNotEmpty()
  bin_dir = '/usr/lib/postgresql/15/bin';

  @IsOptional() @IsString() unix_socket_directory?: string;

  @ValidateNested()
  @Type(() => PostgresqlAuthenticationDto)
  authentication = new PostgresqlAuthenticationDto();

  @IsObject()
  parameters: Record<string, ParameterValue> = {};

  @IsArray()
  @IsString({ each: true })
  pg_hba: string[] = [];

  @IsBoolean()
  use_pg_rewind = true;

  @IsBoolean()
  remove_data_directory_on_rewind_failure = false;

  @IsBoolean()
  remove_data_directory_on_diverged_timelines = false;

  @IsArray()
  @IsString({ each: true })
  @IsNotEmpty({ each: true })
  create_replica_methods: string[] = [];

  /** Checked by basebackupArguments, in Patroni's words. */
  @Allow()
  basebackup?: unknown;

  @ValidateNested()
  @Type(() => CallbacksDto)
  callbacks = new CallbacksDto();

  @IsInt()
  @Min(1)
  @Max(3600)
  callback_timeout = 30;

  @IsOptional() @IsString() os_user?: string;
}

class BootstrapDto {
  @IsObject()
  dcs: Record<string, unknown> = {};

  @IsArray()
  initdb: (string | Record<string, string>)[] = [];

  @IsString()
  @IsNotEmpty()
  method = 'initdb';

  @IsOptional() @IsString() post_bootstrap?: string;
  @IsOptional() @IsString() post_init?: string;

  @IsInt()
  @Min(30)
  @Max(86400)
  timeout = 120;
}

/** The member configuration file, validated key by key (see member-config.ts for the meaning). */
export class MemberConfigDto {
  @Matches(NAME, { message: NAME_MESSAGE })
  namespace = 'natroni';

  @IsDefined()
  @Matches(NAME, { message: NAME_MESSAGE })
  scope!: string;

  @IsDefined()
  @Matches(NAME, { message: NAME_MESSAGE })
  name!: string;

  @ValidateNested()
  @Type(() => NatsDto)
  nats = new NatsDto();

  @IsDefined()
  @ValidateNested()
  @Type(() => RestApiDto)
  restapi!: RestApiDto;

  @IsDefined()
  @ValidateNested()
  @Type(() => PostgresqlDto)
  postgresql!: PostgresqlDto;

  @ValidateNested()
  @Type(() => BootstrapDto)
  bootstrap = new BootstrapDto();

  @IsObject()
  tags: Record<string, string | number | boolean> = {};
}
