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
  type HealthQuery,
  type MemberFacts,
} from '../../../../libs/domain/src/index.ts';
import { LiveCluster } from '../../../../libs/live-cluster/src/index.ts';

/** First path components that Nest controllers answer on GET; every other GET is a health check. */
const ROUTED_GET = new Set([
  'cluster',
  'history',
  'config',
  'failsafe',
  'metrics',
  'openapi.json',
  'docs',
  'ui',
]);

const MAX_CACHED_QUERIES = 256;

interface CachedDocument {
  facts: ClusterFacts;
  revision: number;
  fresh: boolean;
  body: Buffer;
}

/** A health answer: the status code, and the /patroni document unless the status line is all. */
export interface StatusAnswer {
  code: number;
  document?: Buffer;
}

/**
 * Answers, from memory, what a load balancer asks most: the health checks (GET with the /patroni
 * document, HEAD and OPTIONS with the status only), /patroni, /liveness and /readiness. It works on the
 * method and request target alone so that the hot path stays free of framework overhead; `undefined`
 * for requests it does not own.
 */
@Injectable()
export class StatusResponder {
  private readonly documents = new Map<string, CachedDocument>();
  /**
   * Parsed query strings: a load balancer asks the same one (`?lag=1MB`) over and over, and parsing it
   * cost a quarter of such a request. Bounded, since the query strings are the client's choice.
   */
  private readonly queries = new Map<string, HealthQuery>();

  constructor(private readonly cluster: LiveCluster) {}

  answer(member: string, method: string, url: string): StatusAnswer | undefined {
    const statusOnly = method === 'HEAD' || method === 'OPTIONS';
    if (!statusOnly && method !== 'GET') return undefined;
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    const search = queryAt === -1 ? '' : url.slice(queryAt + 1);
    const first = firstComponent(path);
    // `/v1` is the cluster-wide MaxScale API: routed on every listener, HEAD and OPTIONS included.
    if (first === 'v1' || (!statusOnly && ROUTED_GET.has(first))) return undefined;

    const now = performance.now();
    const facts = this.cluster.facts(now);
    const memberFacts = this.cluster.member(member, now);
    if (!statusOnly && first === 'patroni') {
      return { code: 200, document: this.document(memberFacts, facts) };
    }
    const query = search === '' ? EMPTY_HEALTH_QUERY : this.query(search);
    if (statusOnly) return { code: healthVerdict(path, query, memberFacts, facts) };
    if (first === 'liveness') return { code: livenessVerdict(memberFacts, facts) };
    if (first === 'readiness') return { code: readinessVerdict(query, memberFacts, facts) };
    const code = healthVerdict(path, query, memberFacts, facts);
    return { code, document: this.document(memberFacts, facts) };
  }

  private query(search: string): HealthQuery {
    let query = this.queries.get(search);
    if (query === undefined) {
      if (this.queries.size >= MAX_CACHED_QUERIES) this.queries.clear();
      query = parseHealthQuery(search);
      this.queries.set(search, query);
    }
    return query;
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
