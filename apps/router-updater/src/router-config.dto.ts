import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  IsArray,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const NAME_MESSAGE = 'must be 1 to 64 letters, digits, ".", "_" or "-"';

/** One HAProxy instance, reached through its stats socket (`stats socket ... level admin`). */
export class HaproxyRouterDto {
  @Matches(NAME, { message: `name ${NAME_MESSAGE}` })
  name!: string;

  /** A Unix socket path (`/run/haproxy/admin.sock`) or `host:port` for a TCP stats socket. */
  @IsString()
  @MinLength(1)
  stats_socket!: string;

  /** The backend (or `listen` section) that routes writes; none when the instance only routes reads. */
  @IsOptional()
  @Matches(NAME, { message: `primary_backend ${NAME_MESSAGE}` })
  primary_backend?: string;

  @IsArray()
  @Matches(NAME, { each: true, message: `each of replica_backends ${NAME_MESSAGE}` })
  replica_backends: string[] = [];

  /** HAProxy's server name per member, when it differs from the member's name. */
  @IsObject()
  servers: Record<string, string> = {};
}

/** One PgBouncer, reached through its admin console, whose `[databases]` section the updater writes. */
export class PgbouncerRouterDto {
  @Matches(NAME, { message: `name ${NAME_MESSAGE}` })
  name!: string;

  /** The admin console: `postgresql://user:password@host:port/pgbouncer`. */
  @Matches(/^postgres(ql)?:\/\/.+\/pgbouncer$/, {
    message: 'admin must be a postgresql:// URL of the database "pgbouncer"',
  })
  admin!: string;

  /** The file PgBouncer includes (`%include`) as its `[databases]` section; the updater rewrites it. */
  @IsString()
  @MinLength(1)
  databases_file!: string;

  /** Each database entry's connection options without host and port, e.g. `dbname=app pool_size=20`. */
  @IsObject()
  databases!: Record<string, string>;
}

/** The router updater's YAML file. */
export class RouterConfigDto {
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => HaproxyRouterDto)
  haproxy: HaproxyRouterDto[] = [];

  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => PgbouncerRouterDto)
  pgbouncer: PgbouncerRouterDto[] = [];

  /** How long to wait before trying a router again after a failure. */
  @IsInt()
  @Min(50)
  @Max(60_000)
  retry_interval_ms = 1_000;

  /** Bound on each command to a router. */
  @IsInt()
  @Min(100)
  @Max(60_000)
  command_timeout_ms = 2_000;
}
