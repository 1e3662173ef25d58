import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsObject, IsOptional, IsString } from 'class-validator';

/** Body of `POST /failsafe`, as a Patroni primary sends it while the DCS is unreachable. */
export class FailsafeNoticeDto {
  @ApiProperty({ description: 'The calling primary.' })
  @IsString({ message: 'name must be a string' })
  @IsNotEmpty({ message: 'name must not be empty' })
  name!: string;

  @ApiPropertyOptional({ description: "The primary's PostgreSQL connection URL." })
  @IsOptional()
  @IsString({ message: 'conn_url must be a string' })
  conn_url?: string;

  @ApiPropertyOptional({ description: "The primary's REST API URL." })
  @IsOptional()
  @IsString({ message: 'api_url must be a string' })
  api_url?: string;

  @ApiPropertyOptional({ description: 'Replication slots on the primary and their LSNs.' })
  @IsOptional()
  @IsObject({ message: 'slots must be an object' })
  slots?: Record<string, unknown>;
}
