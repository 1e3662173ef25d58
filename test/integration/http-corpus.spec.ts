import { connect } from 'node:net';
import type { DescMessage } from '@bufbuild/protobuf';
import { ClusterKeys, type ClusterKey } from '../../libs/dcs/src/index.ts';
import { httpCorpus, type CorpusRequest } from '../support/http-corpus.ts';
import { PatroniGatewayFixture } from '../support/patroni-gateway-fixture.ts';

/**
 * A seeded corpus of malformed, truncated, oversized and adversarial requests (smuggling shapes
 * included), sent as raw bytes to a member listener and to the cluster-wide listener: each gets an
 * answer or a close within a second of its last byte, none a 5xx that Patroni would not give nor a
 * stack trace, the gateway keeps answering, and nothing stored changes.
 */
const SEED = 20261203;
const REQUESTS = 10_000;
const PARALLEL = 32;
/** The bound on the first answer byte or the close, from the client's half-close. */
const FIRST_ANSWER_MS = 1_000;
/** The bound on the whole exchange: a connection still open past it is a failure. */
const CLOSE_MS = 10_000;

interface Exchange {
  received: string;
  firstAnswerMs: number;
  closed: boolean;
}

function exchange(port: number, request: CorpusRequest): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let sentAt = 0;
    let firstAnswerMs = -1;
    const first = (): void => {
      if (firstAnswerMs === -1) firstAnswerMs = sentAt === 0 ? 0 : performance.now() - sentAt;
    };
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ received, firstAnswerMs, closed: false });
    }, CLOSE_MS);
    socket.setEncoding('latin1');
    socket.on('data', (data: string) => {
      first();
      received += data;
    });
    // A server may close with bytes unread, which resets the connection: that is a close.
    socket.on('error', () => undefined);
    socket.once('close', () => {
      first();
      clearTimeout(timer);
      resolve({ received, firstAnswerMs, closed: true });
    });
    socket.once('connect', () => {
      for (const chunk of request.chunks) socket.write(chunk);
      socket.end(() => (sentAt = performance.now()));
    });
  });
}

/** Patroni's own 5xx answers: 503 from a health check or a failed action, 501 for a method it lacks. */
function undocumented(received: string): string | undefined {
  if (received.includes('\n    at ')) return 'a stack trace';
  for (const match of received.matchAll(/(?:^|\n)HTTP\/1\.[01] (5\d\d) /g)) {
    const status = Number(match[1]);
    if (status === 503) continue;
    if (status === 501 && received.includes('Unsupported method (')) continue;
    return `status ${status}`;
  }
  return undefined;
}

/** The gateway renews the key of the unmanaged servers' monitor by itself; no request writes it. */
const RENEWED_BY_THE_GATEWAY = new Set(['serverMonitor']);

async function storedRevisions(fixture: PatroniGatewayFixture): Promise<Record<string, number>> {
  const revisions: Record<string, number> = {};
  const keys: Record<string, ClusterKey<DescMessage>> = ClusterKeys;
  for (const [name, key] of Object.entries(keys)) {
    if (RENEWED_BY_THE_GATEWAY.has(name)) continue;
    revisions[name] = (await fixture.store.get(key))?.revision ?? 0;
  }
  return revisions;
}

describe('the HTTP surface under a corpus of adversarial requests (real nats-server)', () => {
  let fixture: PatroniGatewayFixture;

  beforeAll(async () => {
    fixture = await PatroniGatewayFixture.start({ switchoverTimeoutMs: 300 });
    await fixture.standardCluster();
  });

  afterAll(async () => {
    await fixture?.dispose();
  });

  it(`answers or closes each of ${REQUESTS} requests within a second, and changes nothing`, async () => {
    const corpus = httpCorpus(SEED, REQUESTS);
    const ports = { member: fixture.ports.pg1, 'cluster-wide': fixture.clusterWidePort() };
    const before = await storedRevisions(fixture);
    const failures: string[] = [];
    /** How the corpus was answered, to show that it reached each kind of answer. */
    const seen = new Map<string, number>();
    const tally = (what: string): void => void seen.set(what, (seen.get(what) ?? 0) + 1);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < corpus.length) {
        const index = next;
        next += 1;
        const listener = index % 2 === 0 ? 'member' : 'cluster-wide';
        const request = corpus[index];
        const outcome = await exchange(ports[listener], request);
        tally(/^HTTP\/1\.[01] (\d{3}) /.exec(outcome.received)?.[1] ?? 'closed unanswered');
        const problem = !outcome.closed
          ? `still open after ${CLOSE_MS} ms`
          : outcome.firstAnswerMs > FIRST_ANSWER_MS
            ? `no answer nor close for ${Math.round(outcome.firstAnswerMs)} ms`
            : undocumented(outcome.received);
        if (problem) {
          const sent = JSON.stringify(Buffer.concat(request.chunks).toString('latin1'));
          failures.push(
            `#${index} ${request.kind} to the ${listener} listener: ${problem}; sent ${sent.slice(0, 200)}; received ${JSON.stringify(outcome.received.slice(0, 200))}`,
          );
        }
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, () => worker()));
    expect(failures.slice(0, 20)).toEqual([]);
    const unseen = ['200', '400', '401', '404', '431', '501', '503', 'closed unanswered'].filter(
      (answer) => !seen.has(answer),
    );
    expect({ unseen, seen: Object.fromEntries(seen) }).toMatchObject({ unseen: [] });
    expect(await storedRevisions(fixture)).toEqual(before);
    await fixture.setLeader('pg1', 1);
    await fixture.waitFor('pg1', '/primary', 200);
    expect((await fixture.call('pg1', 'GET', '/cluster')).status).toBe(200);
  });
});
