import {
  Catch,
  HttpException,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorPage } from './error-page.ts';
import { PatroniHttpError } from './patroni-http-error.ts';

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function statusCodeOf(error: unknown): number | undefined {
  if (error instanceof HttpException) return error.getStatus();
  if (typeof error === 'object' && error !== null && 'statusCode' in error) {
    const code = (error as { statusCode: unknown }).statusCode;
    return typeof code === 'number' ? code : undefined;
  }
  return undefined;
}

/**
 * Every error leaves in Patroni's forms: its plain-text messages, or Python's HTML error page for
 * malformed requests (an oversized or unparsable body is a 400, an unknown unsafe path a 501). Nothing
 * else reaches the client: never a stack trace.
 */
@Catch()
export class PatroniExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('PatroniExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    if (exception instanceof PatroniHttpError) {
      if (exception.errorPage) {
        sendPage(reply, exception.status);
        return;
      }
      void reply
        .status(exception.status)
        .headers({ 'content-type': 'text/html', ...exception.headers })
        .send(exception.text);
      return;
    }
    const status = statusCodeOf(exception);
    if (status === 404 && UNSAFE_METHODS.has(request.method)) {
      sendPage(reply, 501, `Unsupported method ('${request.method}')`);
    } else if (status !== undefined && status >= 400 && status < 500) {
      sendPage(reply, status === 404 || status === 405 ? status : 400);
    } else if (exception instanceof HttpException && status === 503) {
      // The service's own GET /health (terminus) reports NATS down with its JSON document.
      void reply.status(status).send(exception.getResponse());
    } else {
      this.logger.error({ msg: 'request failed', method: request.method, err: exception });
      sendPage(reply, 500);
    }
  }
}

function sendPage(reply: FastifyReply, status: number, message?: string): void {
  void reply
    .status(status)
    .headers({ 'content-type': 'text/html;charset=utf-8', connection: 'close' })
    .send(errorPage(status, message));
}
