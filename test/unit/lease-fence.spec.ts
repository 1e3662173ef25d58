import type {
  ClusterObserver,
  LeaderSighting,
} from '../../apps/node-agent/src/agent/cluster-observer.ts';
import { LeaseFence } from '../../apps/node-agent/src/agent/lease-fence.ts';
import type { PostgresStateMachine } from '../../apps/node-agent/src/agent/postgres-state-machine.ts';
import type { LeaseConfirmation } from '../../libs/proto/src/index.ts';

const TTL_MS = 8_000;
/** ttl − margin (800 ms for ttl 8 s): when the agent stops trusting a renewal it saw. */
const DEADLINE_MS = 7_200;

/**
 * The agent's fence at its deadline with no renewal seen (a stalled KV watch): it asks its own
 * election once per deadline, keeps PostgreSQL while the election confirms the hold, fences otherwise.
 */
describe('the lease fence when renewals go unseen', () => {
  let fence: LeaseFence | undefined;

  beforeEach(() => jest.useFakeTimers());
  afterEach(() => {
    fence?.close();
    jest.useRealTimers();
  });

  function armedFence(answers: (LeaseConfirmation | undefined)[]) {
    const sighting: LeaderSighting = {
      record: { member: 'pg1', term: 3, ttl: TTL_MS / 1000 } as LeaderSighting['record'],
      revision: 7,
      receivedAt: performance.now(),
    };
    const cluster = {
      leader: sighting,
      ttlMs: TTL_MS,
      onLeader: () => () => undefined,
    } as unknown as ClusterObserver;
    const machine = { role: 'primary' } as unknown as PostgresStateMachine;
    const breaches: string[] = [];
    const asked: number[] = [];
    fence = new LeaseFence(
      'pg1',
      cluster,
      machine,
      (reason) => {
        breaches.push(reason);
        return Promise.resolve();
      },
      undefined,
      (timeoutMs) => {
        asked.push(timeoutMs);
        return Promise.resolve(answers.shift());
      },
    );
    fence.arm(3);
    return { breaches, asked };
  }

  const held = (validForMs: number) =>
    ({ held: true, term: 3, validForMs }) as unknown as LeaseConfirmation;

  it('keeps PostgreSQL while its election confirms the hold, and fences once it does not', async () => {
    const { breaches, asked } = armedFence([held(5_000), { held: false } as LeaseConfirmation]);
    await jest.advanceTimersByTimeAsync(DEADLINE_MS - 1);
    expect(asked).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(asked).toEqual([400]);
    expect(breaches).toEqual([]);
    await jest.advanceTimersByTimeAsync(5_000);
    expect(asked).toEqual([400, 400]);
    expect(breaches).toEqual(['no renewal of the lease received for 7200 ms']);
  });

  it('fences at its deadline when the election does not answer', async () => {
    const { breaches, asked } = armedFence([undefined]);
    await jest.advanceTimersByTimeAsync(DEADLINE_MS);
    expect(asked).toHaveLength(1);
    expect(breaches).toEqual(['no renewal of the lease received for 7200 ms']);
  });

  it('fences when the election holds another term', async () => {
    const { breaches } = armedFence([
      { held: true, term: 4, validForMs: 5_000 } as unknown as LeaseConfirmation,
    ]);
    await jest.advanceTimersByTimeAsync(DEADLINE_MS);
    expect(breaches).toHaveLength(1);
  });
});
