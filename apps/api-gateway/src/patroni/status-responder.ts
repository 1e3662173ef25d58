import type { IncomingMessage, ServerResponse } from 'node:http';
import { Injectable } from '@nestjs/common';
import {
  EMPTY_HEALTH_QUERY,
  healthVerdict,
  isStatusFresh,
  livenessVerdict,
  parseHealthQuery,
  patroniDocument,
  readinessVerdict,
  type ClusterFacts,
  type MemberFacts,
} from '../../../../libs/domain/src/index.ts';
import { LiveCluster } from './live-cluster.ts';

/** First path components that Nest controllers answer on GET; every other GET is a health check. */
const ROUTED_GET = new Set([
  'cluster',
  'history',
  'config',
  'failsafe',
  'metrics',
  'openapi.json',
  'docs',
]);

interface CachedDocument {
  facts: ClusterFacts;
  revision: number;
  fresh: boolean;
  body: Buffer;
}

const JSON_HEADERS = (length: number): Record<string, string | number> => ({
  'content-type': 'application/json',
  'content-length': length,
});

/**
 * Answers, from memory, what a load balancer asks most: the health checks (GET with the /patroni
 * document, HEAD and OPTIONS with the status only), /patroni, /liveness and /readiness. It works on the
 * raw Node request so that the hot path stays free of framework overhead; returns false for requests
 * it does not own.
 */
@Injectable()
export class StatusResponder {
  private readonly documents = new Map<string, CachedDocument>();

  constructor(private readonly cluster: LiveCluster) {}

  respond(member: string, request: IncomingMessage, response: ServerResponse): boolean {
    const method = request.method;
    const statusOnly = method === 'HEAD' || method === 'OPTIONS';
    if (!statusOnly && method !== 'GET') return false;
    const url = request.url ?? '/';
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    const search = queryAt === -1 ? '' : url.slice(queryAt + 1);
    const first = firstComponent(path);
    // `/v1` is the cluster-wide MaxScale API: routed on every listener, HEAD and OPTIONS included.
    if (first === 'v1' || (!statusOnly && ROUTED_GET.has(first))) return false;

    const now = performance.now();
    const facts = this.cluster.facts(now);
    const memberFacts = this.cluster.member(member, now);
    if (!statusOnly && first === 'patroni') {
      this.writeDocument(response, 200, memberFacts, facts);
      return true;
    }
    const query = search === '' ? EMPTY_HEALTH_QUERY : parseHealthQuery(search);
    if (statusOnly) {
      writeStatusOnly(response, healthVerdict(path, query, memberFacts, facts));
    } else if (first === 'liveness') {
      writeStatusOnly(response, livenessVerdict(memberFacts, facts));
    } else if (first === 'readiness') {
      writeStatusOnly(response, readinessVerdict(query, memberFacts, facts));
    } else {
      const code = healthVerdict(path, query, memberFacts, facts);
      this.writeDocument(response, code, memberFacts, facts);
    }
    return true;
  }

  private writeDocument(
    response: ServerResponse,
    code: number,
    member: MemberFacts,
    facts: ClusterFacts,
  ): void {
    const body = this.document(member, facts);
    response.writeHead(code, JSON_HEADERS(body.length));
    response.end(body);
  }

  private document(member: MemberFacts, facts: ClusterFacts): Buffer {
    const revision = this.cluster.view.members.get(member.name)?.revision ?? 0;
    const fresh = isStatusFresh(member, facts);
    const cached = this.documents.get(member.name);
    if (cached && cached.facts === facts && cached.revision === revision && cached.fresh === fresh)
      return cached.body;
    const body = Buffer.from(JSON.stringify(patroniDocument(member, facts)));
    this.documents.set(member.name, { facts, revision, fresh, body });
    return body;
  }
}

function firstComponent(path: string): string {
  let start = 0;
  while (path.charCodeAt(start) === 47) start += 1;
  const end = path.indexOf('/', start);
  return end === -1 ? path.slice(start) : path.slice(start, end);
}

/** Patroni answers HEAD, OPTIONS, /liveness and /readiness with a status line only. */
function writeStatusOnly(response: ServerResponse, code: number): void {
  response.writeHead(code, { 'content-length': 0 });
  response.end();
}
