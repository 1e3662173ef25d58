import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { BASIC_AUTH_CHALLENGE, BasicAuthCheck } from '../../../../libs/basic-auth/src/index.ts';
import { GATEWAY_SETTINGS, type GatewaySettings } from '../gateway-settings.ts';
import { PatroniHttpError } from './patroni-http-error.ts';

/** Patroni's `check_access` Basic auth for the unsafe methods; open when no credentials are set. */
@Injectable()
export class BasicAuthGuard implements CanActivate {
  private readonly check: BasicAuthCheck | undefined;

  constructor(@Inject(GATEWAY_SETTINGS) settings: GatewaySettings) {
    this.check = settings.auth ? new BasicAuthCheck(settings.auth) : undefined;
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.check) return true;
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization;
    const problem = this.check.problem(header);
    if (problem) throw new PatroniHttpError(401, problem, false, BASIC_AUTH_CHALLENGE);
    return true;
  }
}
