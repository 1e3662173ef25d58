import { createHash } from 'node:crypto';
import type { JsonObject } from '@bufbuild/protobuf';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  errorDocument,
  linkBase,
  renderJson,
  type LinkBase,
} from '../../../../libs/domain/src/index.ts';

/** Sent on every `/v1` response (MaxScale sends them on every answer). */
export const V1_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-cache',
  'x-frame-options': 'Deny',
  'x-xss-protection': '1',
  'referrer-policy': 'same-origin',
};

/** The raw request body (the `/v1` routes read it as text and parse it as MaxScale does). */
export function requestBodyText(request: FastifyRequest): string | undefined {
  return typeof request.body === 'string' ? request.body : undefined;
}

export function querySearch(request: FastifyRequest): URLSearchParams {
  const at = request.url.indexOf('?');
  return new URLSearchParams(at === -1 ? '' : request.url.slice(at + 1));
}

/** Links start with the request's Host header verbatim, plus `v1/` when the request used it. */
export function requestLinkBase(request: FastifyRequest): LinkBase {
  const versioned = /^\/+v1(?:[/?]|$)/.test(request.url);
  return linkBase(request.protocol, request.headers.host ?? 'localhost', versioned);
}

/** A document ready to send: its body and the SHA-1 ETag of its compact form. */
export interface RenderedDocument {
  readonly etag: string;
  readonly body: Buffer;
}

export function wantsPretty(request: FastifyRequest): boolean {
  return querySearch(request).get('pretty') !== 'false';
}

/** JSON with sorted keys, pretty unless `pretty` is false (`?pretty=false`). */
export function renderDocument(document: JsonObject, pretty: boolean): RenderedDocument {
  const compact = renderJson(document, false);
  const etag = `"${createHash('sha1').update(compact).digest('hex')}"`;
  // A Buffer, so that Fastify leaves the content type as MaxScale sends it (no charset).
  return { etag, body: Buffer.from(pretty ? renderJson(document, true) : compact) };
}

/** A GET answer; `If-None-Match` gives 304 and a failed `If-Match` 412. */
export function sendRendered(
  request: FastifyRequest,
  reply: FastifyReply,
  { etag, body }: RenderedDocument,
): void {
  void reply.headers({ ...V1_HEADERS, etag });
  const noneMatch = request.headers['if-none-match'];
  if (noneMatch !== undefined && (noneMatch === '*' || noneMatch.split(/\s*,\s*/).includes(etag))) {
    void reply.status(304).send();
    return;
  }
  const match = request.headers['if-match'];
  if (match !== undefined && match !== '*' && !match.split(/\s*,\s*/).includes(etag)) {
    void reply.status(412).send();
    return;
  }
  void reply.status(200).header('content-type', 'application/json').send(body);
}

export function sendDocument(
  request: FastifyRequest,
  reply: FastifyReply,
  document: JsonObject,
): void {
  sendRendered(request, reply, renderDocument(document, wantsPretty(request)));
}

/** A write's answer: 204 with no body. */
export function sendNoContent(reply: FastifyReply): void {
  void reply.status(204).headers(V1_HEADERS).send();
}

/** A refusal: `{"errors":[{"detail":…}]}`, or no body at all when there is no detail. */
export function sendErrors(
  reply: FastifyReply,
  status: number,
  details: readonly string[],
  headers: Readonly<Record<string, string>> = {},
): void {
  void reply.status(status).headers({ ...V1_HEADERS, ...headers });
  if (details.length === 0) {
    void reply.send();
    return;
  }
  void reply
    .header('content-type', 'application/json')
    .send(Buffer.from(renderJson(errorDocument(details), true)));
}
