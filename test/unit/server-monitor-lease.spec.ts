import { monitorLeaseLapsed, monitorLeaseMove } from '../../libs/domain/src/index.ts';

const TTL_MS = 10_000;

describe('who monitors the servers natroni does not manage', () => {
  it('the holder renews on the revision it wrote last, whatever its view says', () => {
    expect(
      monitorLeaseMove({
        heldRevision: 7,
        lease: { revision: 5, ttlMs: TTL_MS },
        seenForMs: 60_000,
      }),
    ).toEqual({ kind: 'renew', revision: 7 });
  });

  it('a gateway creates the key when nobody holds it', () => {
    expect(monitorLeaseMove({ heldRevision: undefined, lease: undefined, seenForMs: 0 })).toEqual({
      kind: 'create',
    });
  });

  it('another gateway waits while renewals reach it, and takes over once none has for ttl', () => {
    const lease = { revision: 12, ttlMs: TTL_MS };
    expect(monitorLeaseMove({ heldRevision: undefined, lease, seenForMs: TTL_MS - 1 })).toEqual({
      kind: 'wait',
    });
    expect(monitorLeaseMove({ heldRevision: undefined, lease, seenForMs: TTL_MS })).toEqual({
      kind: 'take-over',
      revision: 12,
    });
  });

  it('stored observations count while the key is renewed, not once it has lapsed or is absent', () => {
    const lease = { revision: 3, ttlMs: TTL_MS };
    expect(monitorLeaseLapsed({ lease, seenForMs: TTL_MS - 1 })).toBe(false);
    expect(monitorLeaseLapsed({ lease, seenForMs: TTL_MS })).toBe(true);
    expect(monitorLeaseLapsed({ lease: undefined, seenForMs: 0 })).toBe(true);
  });
});
