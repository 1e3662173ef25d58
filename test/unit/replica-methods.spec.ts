import {
  basebackupArguments,
  canCreateReplicaWithoutLeader,
  customBootstrapCall,
  dynamicConfigProblems,
  quorumCommitProblem,
  removeDataAfterRewindFailure,
  replicaMethodCall,
  replicaMethodOrder,
  standbyClusterProblems,
} from '../../libs/domain/src/index.ts';
import { fromJson } from '@bufbuild/protobuf';
import { DynamicConfigSchema } from '../../libs/proto/src/index.ts';

const context = { scope: 'demo', dataDir: '/data/pg2', connstring: "host='10.0.0.1' port='5432'" };

describe('a replica without a member to copy from', () => {
  it('needs a method other than basebackup with no_leader set', () => {
    const options = {
      restore: { command: 'restore-backup', no_leader: true },
      clone: { command: 'clone-script' },
      off: { command: 'restore-backup', no_leader: false },
      basebackup: { no_leader: true },
    };
    expect(canCreateReplicaWithoutLeader(['clone', 'basebackup', 'restore'], options)).toBe(true);
    expect(canCreateReplicaWithoutLeader(['clone', 'off', 'basebackup'], options)).toBe(false);
    expect(canCreateReplicaWithoutLeader([], options)).toBe(false);
    // A method named without a section of its own has no no_leader.
    expect(canCreateReplicaWithoutLeader(['wal-g'], {})).toBe(false);
  });
});

describe('replica creation methods, in order', () => {
  const options = {
    wal_e: { command: 'wal-e-restore', no_leader: 1 },
    pgbackrest: { command: 'pgbackrest restore', keep_data: true },
  };

  it('basebackup alone when none is configured', () => {
    expect(
      replicaMethodOrder({ methods: [], options: {}, withSource: true, fromLeader: false }),
    ).toEqual(['basebackup']);
  });

  it('the configured order, falling back to basebackup only where it is listed', () => {
    const facts = { options, withSource: true, fromLeader: false };
    expect(replicaMethodOrder({ ...facts, methods: ['pgbackrest', 'basebackup'] })).toEqual([
      'pgbackrest',
      'basebackup',
    ]);
    expect(replicaMethodOrder({ ...facts, methods: ['wal_e', 'pgbackrest'] })).toEqual([
      'wal_e',
      'pgbackrest',
    ]);
  });

  it('without a member to copy from, only the no_leader methods', () => {
    expect(
      replicaMethodOrder({
        methods: ['pgbackrest', 'wal_e', 'basebackup'],
        options,
        withSource: false,
        fromLeader: false,
      }),
    ).toEqual(['wal_e']);
    expect(
      replicaMethodOrder({ methods: [], options, withSource: false, fromLeader: false }),
    ).toEqual([]);
  });

  it('a reinitialize from the leader uses basebackup only', () => {
    expect(
      replicaMethodOrder({
        methods: ['pgbackrest'],
        options,
        withSource: true,
        fromLeader: true,
      }),
    ).toEqual(['basebackup']);
  });
});

describe("a custom replica method's call", () => {
  it("passes the section's keys, then scope, role, datadir and connstring", () => {
    expect(
      replicaMethodCall(
        'wal_e',
        { command: 'wal-e restore', envdir: '/etc/wal-e', no_leader: 1 },
        context,
      ),
    ).toEqual({
      command: 'wal-e restore',
      args: [
        '--envdir=/etc/wal-e',
        '--no_leader=1',
        '--scope=demo',
        '--role=replica',
        '--datadir=/data/pg2',
        "--connstring=host='10.0.0.1' port='5432'",
      ],
      keepData: false,
    });
  });

  it('runs the method name when the section has no command, with Python-style booleans', () => {
    expect(replicaMethodCall('restore-script', { keep_data: true }, context)).toEqual({
      command: 'restore-script',
      args: [
        '--keep_data=True',
        '--scope=demo',
        '--role=replica',
        '--datadir=/data/pg2',
        "--connstring=host='10.0.0.1' port='5432'",
      ],
      keepData: true,
    });
    expect(replicaMethodCall('restore-script', undefined, context).command).toBe('restore-script');
  });

  it('with no_params, passes only the user keys', () => {
    expect(
      replicaMethodCall(
        'pgbackrest',
        {
          command: 'pgbackrest --stanza=demo --delta restore',
          keep_data: true,
          no_params: true,
          no_leader: true,
          type: 'standby',
        },
        context,
      ),
    ).toEqual({
      command: 'pgbackrest --stanza=demo --delta restore',
      args: ['--type=standby'],
      keepData: true,
    });
  });
});

describe("a custom bootstrap's call", () => {
  it('passes scope and datadir, then the extra keys, but not the keys natroni reads', () => {
    expect(
      customBootstrapCall(
        {
          command: 'restore-from-backup --verbose',
          keep_existing_recovery_conf: true,
          'barman-server': 'main',
          retries: 3,
        },
        { scope: 'demo', dataDir: '/data/pg1' },
      ),
    ).toEqual({
      command: 'restore-from-backup --verbose',
      args: ['--scope=demo', '--datadir=/data/pg1', '--barman-server=main', '--retries=3'],
    });
  });

  it('with no_params, passes the extra keys only', () => {
    expect(
      customBootstrapCall(
        { command: 'clone-cluster', no_params: true, source: 'prod' },
        { scope: 'demo', dataDir: '/data/pg1' },
      ).args,
    ).toEqual(['--source=prod']);
  });
});

describe('basebackup options', () => {
  it('takes a mapping or a list of flags and one-key mappings, unquoting values', () => {
    expect(basebackupArguments({ 'max-rate': '100M', checkpoint: 'fast' })).toEqual({
      args: ['--max-rate=100M', '--checkpoint=fast'],
      problems: [],
    });
    expect(basebackupArguments(['verbose', { 'max-rate': '"100M"' }, { waldir: '/wal' }])).toEqual({
      args: ['--verbose', '--max-rate=100M', '--waldir=/wal'],
      problems: [],
    });
    expect(basebackupArguments(undefined)).toEqual({ args: [], problems: [] });
  });

  it("refuses natroni's own options and client-side compression, in Patroni's words", () => {
    expect(
      basebackupArguments(['format', { dbname: 'x' }, { compress: 'gzip' }, { a: 'b', c: 'd' }])
        .problems,
    ).toEqual([
      'format option for basebackup is not allowed',
      'dbname option for basebackup is not allowed',
      'compress option for basebackup must use server-side compression (e.g., server-gzip, server-zstd). Client-side compression is not allowed.',
      'Error when parsing basebackup key-value option "b": only one key-value is allowed and value should be a string',
    ]);
    expect(basebackupArguments({ compress: 'server-zstd' }).args).toEqual([
      '--compress=server-zstd',
    ]);
  });
});

describe('a failed pg_rewind', () => {
  it('removes the data directory only when configured and the source still answers as primary', () => {
    const configured = { removeOnRewindFailure: true, removeOnDivergedTimelines: false };
    expect(removeDataAfterRewindFailure({ ...configured, sourceIsPrimary: true })).toBe(true);
    expect(removeDataAfterRewindFailure({ ...configured, sourceIsPrimary: false })).toBe(false);
    expect(
      removeDataAfterRewindFailure({
        removeOnRewindFailure: false,
        removeOnDivergedTimelines: true,
        sourceIsPrimary: true,
      }),
    ).toBe(true);
    expect(
      removeDataAfterRewindFailure({
        removeOnRewindFailure: false,
        removeOnDivergedTimelines: false,
        sourceIsPrimary: true,
      }),
    ).toBe(false);
  });
});

describe('dynamic configuration that cannot be honoured', () => {
  const config = (json: Record<string, unknown>) =>
    fromJson(DynamicConfigSchema, json as Parameters<typeof fromJson>[1]);

  it('refuses quorum commit only in a cluster of one member', () => {
    expect(
      dynamicConfigProblems(config({ synchronous_mode: 'quorum' }), { memberCount: 1 }),
    ).toEqual(['synchronous_mode "quorum" needs at least two members, and this cluster has 1']);
    expect(
      dynamicConfigProblems(config({ synchronous_mode: 'Quorum' }), { memberCount: 3 }),
    ).toEqual([]);
    expect(quorumCommitProblem(undefined)).toBeUndefined();
    expect(dynamicConfigProblems(config({ synchronous_mode: true }), { memberCount: 1 })).toEqual(
      [],
    );
  });

  it("checks standby_cluster as Patroni's schema does", () => {
    expect(standbyClusterProblems({ primary_slot_name: 'x' })).toEqual([
      'standby_cluster.host is not defined.',
      'standby_cluster.port is not defined.',
      'standby_cluster.restore_command is not defined.',
    ]);
    expect(standbyClusterProblems({ restore_command: 'cp /archive/%f %p' })).toEqual([]);
    expect(standbyClusterProblems({ host: '10.0.0.1,10.0.0.2', port: 5432 })).toEqual([]);
    expect(
      standbyClusterProblems({ host: 'dc1', create_replica_methods: ['restore', 'basebackup'] }),
    ).toEqual([]);
    expect(standbyClusterProblems({ host: 'dc1', create_replica_methods: 'restore' })).toEqual([
      'standby_cluster.create_replica_methods is not a list of strings',
    ]);
    expect(standbyClusterProblems({ host: 7, port: 70_000 })).toEqual([
      'standby_cluster.host is not a string',
      'standby_cluster.port is not an integer from 0 to 65535',
    ]);
    expect(dynamicConfigProblems(config({ standby_cluster: {} }))).toHaveLength(3);
  });
});
