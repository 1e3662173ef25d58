import { create } from '@bufbuild/protobuf';
import {
  clusterDocument,
  healthVerdict,
  isMemberPresent,
  livenessVerdict,
  patroniMetricValues,
  presentMembers,
  statusAgeMs,
  EMPTY_HEALTH_QUERY,
  type ClusterFacts,
  type MemberFacts,
} from '../../libs/domain/src/index.ts';
import { MemberStatusSchema } from '../../libs/proto/src/index.ts';

const TTL_MS = 10_000;

const cluster: ClusterFacts = {
  scope: 'demo',
  viewFresh: true,
  dcsLastSeen: 0,
  leaderName: 'pg1',
  leaseValid: true,
  paused: false,
  failsafeMode: false,
  failsafeMembers: [],
  standbyCluster: false,
  synchronousMode: 'off',
  syncStandbys: [],
  leaderWalPosition: 1024,
  maximumLagOnFailover: 1048576,
  ttlMs: TTL_MS,
};

function member(name: string, role: string, statusAgeMs: number): MemberFacts {
  return {
    name,
    statusAgeMs,
    status: create(MemberStatusSchema, {
      name,
      role,
      state: 'running',
      replicationState: role === 'replica' ? 'streaming' : undefined,
      connUrl: `postgres://127.0.0.1:5432/postgres`,
      xlog:
        role === 'primary'
          ? { location: 1024 }
          : { receivedLocation: 1024, replayedLocation: 1024 },
    }),
  };
}

describe('the liveness rule: a status older than ttl is a member gone', () => {
  it('a member is present while its status is younger than ttl, gone from ttl on', () => {
    expect(isMemberPresent(member('pg2', 'replica', TTL_MS - 1), cluster)).toBe(true);
    expect(isMemberPresent(member('pg2', 'replica', TTL_MS), cluster)).toBe(false);
    expect(isMemberPresent({ name: 'pg2', status: undefined, statusAgeMs: 0 }, cluster)).toBe(
      false,
    );
  });

  it('/cluster lists only the present members, the leader too', () => {
    const members = [
      member('pg1', 'primary', TTL_MS + 1),
      member('pg2', 'replica', 500),
      member('pg3', 'replica', 57_000),
    ];
    const listed = presentMembers(members, cluster).map((status) => status.name);
    expect(listed).toEqual(['pg2']);
    const document = clusterDocument(presentMembers(members, cluster), cluster, undefined);
    expect((document['members'] as { name: string }[]).map((entry) => entry.name)).toEqual(['pg2']);
  });

  it('every health check answered for a gone member says 503, /liveness included', () => {
    const paths = ['/primary', '/leader', '/replica', '/read-only', '/health', '/async', '/'];
    const gonePrimary = member('pg1', 'primary', TTL_MS);
    const goneReplica = member('pg2', 'replica', TTL_MS);
    for (const path of paths) {
      expect([path, healthVerdict(path, EMPTY_HEALTH_QUERY, gonePrimary, cluster)]).toEqual([
        path,
        503,
      ]);
      expect([path, healthVerdict(path, EMPTY_HEALTH_QUERY, goneReplica, cluster)]).toEqual([
        path,
        503,
      ]);
    }
    expect(livenessVerdict(goneReplica, cluster)).toBe(503);
    expect(livenessVerdict(goneReplica, { ...cluster, paused: true })).toBe(503);
    expect(livenessVerdict(member('pg2', 'replica', TTL_MS - 1), cluster)).toBe(200);
    // The same members, present, pass the checks of their roles.
    expect(
      healthVerdict('/primary', EMPTY_HEALTH_QUERY, member('pg1', 'primary', 0), cluster),
    ).toBe(200);
    expect(
      healthVerdict('/replica', EMPTY_HEALTH_QUERY, member('pg2', 'replica', 0), cluster),
    ).toBe(200);
  });

  it("a gone member's metrics say PostgreSQL is not running", () => {
    expect(patroniMetricValues(member('pg2', 'replica', TTL_MS), cluster)).toMatchObject({
      patroni_postgres_running: 0,
      patroni_postgres_streaming: 0,
    });
    expect(patroniMetricValues(member('pg2', 'replica', 0), cluster)).toMatchObject({
      patroni_postgres_running: 1,
    });
  });
});

describe("a status's age", () => {
  it('counts from when the reader received it', () => {
    expect(statusAgeMs({ receivedAtMs: 1_000, ageAtReceiptMs: 0 }, 4_000)).toBe(3_000);
  });

  it('adds how old a status found stored at start already was', () => {
    expect(statusAgeMs({ receivedAtMs: 1_000, ageAtReceiptMs: 57_000 }, 1_000)).toBe(57_000);
  });

  it('never counts a clock that looks backwards', () => {
    expect(statusAgeMs({ receivedAtMs: 5_000, ageAtReceiptMs: -2_000 }, 4_000)).toBe(0);
  });
});
