import { timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { JsonApiError } from '../../../../libs/domain/src/index.ts';
import { GATEWAY_SETTINGS, type GatewaySettings } from '../gateway-settings.ts';
import { V1_SETTINGS, type Credentials, type V1Settings } from './v1-settings.ts';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function basicToken(credentials: Credentials | undefined): Buffer | undefined {
  if (!credentials) return undefined;
  return Buffer.from(
    Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64'),
  );
}

function same(given: Buffer, expected: Buffer | undefined): boolean {
  return (
    expected !== undefined && given.length === expected.length && timingSafeEqual(given, expected)
  );
}

/**
 * MaxScale's admin authentication on every `/v1` request: HTTP Basic, the admin user (the Patroni
 * API's NATRONI_RESTAPI_USERNAME/PASSWORD) may do everything, the read-only user only GET, HEAD and
 * OPTIONS; anything else is 401 "Access denied". Like MaxScale with `admin_auth=false`, the API is
 * open when no admin user is configured.
 */
@Injectable()
export class V1AuthGuard implements CanActivate {
  private readonly admin: Buffer | undefined;
  private readonly readOnly: Buffer | undefined;

  constructor(
    @Inject(GATEWAY_SETTINGS) gateway: GatewaySettings,
    @Inject(V1_SETTINGS) settings: V1Settings,
  ) {
    this.admin = basicToken(gateway.auth);
    this.readOnly = basicToken(settings.readOnly);
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.admin) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const header = request.headers.authorization;
    const given =
      header?.startsWith('Basic ') === true ? Buffer.from(header.slice(6)) : Buffer.alloc(0);
    if (same(given, this.admin)) return true;
    if (READ_METHODS.has(request.method) && same(given, this.readOnly)) return true;
    throw new JsonApiError(401, ['Access denied']);
  }
}
