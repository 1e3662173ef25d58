import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, Validate } from 'class-validator';
import { LenientBoolean } from './lenient-boolean.validator.ts';

/** Body of `POST /reinitialize`; values are read leniently (true, on, yes, 1). */
export class ReinitializeRequestDto {
  @ApiPropertyOptional({ description: 'Cancel a running task instead of answering busy.' })
  @IsOptional()
  @Validate(LenientBoolean)
  force?: unknown;

  @ApiPropertyOptional({ description: 'Take the base backup from the leader.' })
  @IsOptional()
  @Validate(LenientBoolean)
  from_leader?: unknown;
}
