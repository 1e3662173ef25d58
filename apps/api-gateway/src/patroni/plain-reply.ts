import type { FastifyReply } from 'fastify';

/** Patroni's `write_response`: a plain message sent as `text/html`. */
export function sendPlain(reply: FastifyReply, status: number, text: string): void {
  void reply.status(status).header('content-type', 'text/html').send(text);
}

export function sendJson(reply: FastifyReply, status: number, json: string): void {
  void reply.status(status).header('content-type', 'application/json').send(json);
}
