import {
  Catch,
  HttpException,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { JsonApiError } from '../../../../libs/domain/src/index.ts';
import { PatroniHttpError } from '../patroni/patroni-http-error.ts';
import { sendErrors } from './json-api-reply.ts';

const CHALLENGE = { 'www-authenticate': 'Basic realm="maxscale"' };

function statusCodeOf(error: unknown): number | undefined {
  if (error instanceof HttpException) return error.getStatus();
  if (typeof error === 'object' && error !== null && 'statusCode' in error) {
    const code = (error as { statusCode: unknown }).statusCode;
    return typeof code === 'number' ? code : undefined;
  }
  return undefined;
}

/**
 * Every `/v1` error leaves as a JSON:API error document (scoped to the `/v1` controllers, so it takes
 * precedence over the global PatroniExceptionFilter): never an HTML page or a stack trace.
 */
@Catch()
export class JsonApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('JsonApiExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    if (exception instanceof JsonApiError) {
      const challenge =
        exception.status === 401 && request.headers['x-requested-with'] !== 'XMLHttpRequest';
      sendErrors(reply, exception.status, exception.details, challenge ? CHALLENGE : {});
      return;
    }
    if (exception instanceof PatroniHttpError) {
      sendErrors(reply, exception.status, [exception.text || `HTTP ${exception.status}`]);
      return;
    }
    const status = statusCodeOf(exception);
    if (status === 404) {
      sendErrors(reply, 404, []);
    } else if (status !== undefined && status >= 400 && status < 500) {
      const message = exception instanceof Error ? exception.message : `HTTP ${status}`;
      sendErrors(reply, status, [message]);
    } else {
      this.logger.error({ msg: 'request failed', method: request.method, err: exception });
      sendErrors(reply, 500, ['Internal error']);
    }
  }
}
