import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import type { FastifyRequest } from 'fastify';
import type { JsonObject } from '@bufbuild/protobuf';
import { readJsonBody } from '../../../../libs/domain/src/index.ts';
import { PatroniHttpError } from './patroni-http-error.ts';

/** The request's JSON object body read as Patroni reads it, or its 400/411 error page. */
export function jsonBody(request: FastifyRequest, mandatory: boolean): JsonObject {
  const text = typeof request.body === 'string' ? request.body : undefined;
  const hasLength = request.headers['content-length'] !== undefined;
  const result = readJsonBody(text, hasLength, mandatory);
  if (!result.ok) throw PatroniHttpError.page(result.code);
  return result.body;
}

/** Checks a body's types against a class-validator DTO; the first violation is a plain 400. */
export function validated<T extends object>(dto: new () => T, body: JsonObject): T {
  const instance = plainToInstance(dto, body);
  const errors = validateSync(instance, { forbidUnknownValues: false });
  const first = errors[0];
  if (first) {
    const message = Object.values(first.constraints ?? {})[0] ?? `invalid ${first.property}`;
    throw new PatroniHttpError(400, message);
  }
  return instance;
}
