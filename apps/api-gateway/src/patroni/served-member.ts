import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { PatroniHttpError } from './patroni-http-error.ts';

const SERVED_MEMBER = Symbol('servedMember');

type MemberRequest = IncomingMessage & { [SERVED_MEMBER]?: string };

/** Marks a raw request as received on the listener of `member`. */
export function markServedMember(request: IncomingMessage, member: string): void {
  (request as MemberRequest)[SERVED_MEMBER] = member;
}

export function servedMemberOf(request: IncomingMessage): string | undefined {
  return (request as MemberRequest)[SERVED_MEMBER];
}

/** The member whose listener received the request; 404 on a listener that serves no member. */
export const ServedMember = createParamDecorator((_data: unknown, context: ExecutionContext) => {
  const request = context.switchToHttp().getRequest<FastifyRequest>();
  const member = servedMemberOf(request.raw);
  if (member === undefined)
    throw new PatroniHttpError(404, 'this listener serves no member: use a member listener');
  return member;
});
