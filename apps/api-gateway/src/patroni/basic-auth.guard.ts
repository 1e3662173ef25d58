import { timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { GATEWAY_SETTINGS, type GatewaySettings } from '../gateway-settings.ts';
import { PatroniHttpError } from './patroni-http-error.ts';

const CHALLENGE = { 'www-authenticate': 'Basic realm="Patroni"' };

/** Patroni's `check_access` Basic auth (§0.2) for the unsafe methods; open when no credentials are set. */
@Injectable()
export class BasicAuthGuard implements CanActivate {
  private readonly expected: Buffer | undefined;

  constructor(@Inject(GATEWAY_SETTINGS) settings: GatewaySettings) {
    const auth = settings.auth;
    this.expected = auth
      ? Buffer.from(Buffer.from(`${auth.username}:${auth.password}`).toString('base64'))
      : undefined;
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.expected) return true;
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization;
    if (header === undefined)
      throw new PatroniHttpError(401, 'no auth header received', false, CHALLENGE);
    const given = header.startsWith('Basic ') ? Buffer.from(header.slice(6)) : Buffer.alloc(0);
    const same = given.length === this.expected.length && timingSafeEqual(given, this.expected);
    if (!same) throw new PatroniHttpError(401, 'not authenticated', false, CHALLENGE);
    return true;
  }
}
