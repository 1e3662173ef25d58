import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString } from 'class-validator';

/** Body of `POST /switchover` and `POST /failover` (Patroni's names; `member` is `candidate`'s alias). */
export class SwitchoverRequestDto {
  @ApiPropertyOptional({ description: 'Name of the current leader (required for a switchover).' })
  @IsOptional()
  @IsString({ message: 'leader must be a string' })
  leader?: string;

  @ApiPropertyOptional({ description: 'Name of the member to promote (required for a failover).' })
  @IsOptional()
  @IsString({ message: 'candidate must be a string' })
  candidate?: string;

  @ApiPropertyOptional({ description: 'Alias of candidate.' })
  @IsOptional()
  @IsString({ message: 'member must be a string' })
  member?: string;

  @ApiPropertyOptional({
    description: 'ISO 8601 time with a time zone; switchover only.',
    example: '2030-01-01T12:00+00:00',
  })
  @IsOptional()
  @IsString({
    message:
      'Unable to parse scheduled timestamp. It should be in an unambiguous format, e.g. ISO 8601',
  })
  scheduled_at?: string;
}
