import { parseMemberConfig } from '../../libs/member-config/src/index.ts';
import { postgresParameters } from '../../apps/node-agent/src/postgres/postgres-settings.ts';

const config = parseMemberConfig(
  {
    scope: 'dr',
    name: 'pg2',
    restapi: { listen: '127.0.0.1:8008' },
    postgresql: { listen: '127.0.0.1:5433', data_dir: '/var/lib/natroni/pg2' },
  },
  {},
  'pg2.yml',
);

test("a standby leader's recovery settings: the remote primary, standby_cluster's slot, restore_command and delay", () => {
  const parameters = postgresParameters(
    config,
    {},
    {
      connUrl: 'postgres://10.0.0.5:5432/postgres',
      remote: true,
      slotName: 'standby_dr',
      restoreCommand: 'cp /archive/%f %p',
      archiveCleanupCommand: 'pg_archivecleanup /archive %r',
      recoveryMinApplyDelay: '5min',
    },
  );
  expect(parameters.get('archive_cleanup_command')).toBe('pg_archivecleanup /archive %r');
  expect(parameters.get('primary_conninfo')).toBe(
    "host='10.0.0.5' port='5432' user='replicator' application_name='pg2' dbname='postgres'",
  );
  expect(parameters.get('primary_slot_name')).toBe('standby_dr');
  expect(parameters.get('restore_command')).toBe('cp /archive/%f %p');
  expect(parameters.get('recovery_min_apply_delay')).toBe('5min');
});

test('a member outside a standby cluster gets neither restore_command nor a delay', () => {
  const parameters = postgresParameters(
    config,
    {},
    { connUrl: 'postgres://127.0.0.1:5432/postgres' },
  );
  expect(parameters.has('restore_command')).toBe(false);
  expect(parameters.has('recovery_min_apply_delay')).toBe(false);
  expect(parameters.has('primary_slot_name')).toBe(false);
});

test('a standby leader given several remote hosts tries them all and keeps the primary', () => {
  const parameters = postgresParameters(
    config,
    {},
    {
      connUrl: 'postgres://dc1-a:5433,dc1-b:5433/postgres?target_session_attrs=read-write',
      remote: true,
    },
  );
  expect(parameters.get('primary_conninfo')).toBe(
    "host='dc1-a,dc1-b' port='5433,5433' user='replicator' application_name='pg2' dbname='postgres' target_session_attrs='read-write'",
  );
});

test('a standby leader fed by restore_command alone has no primary_conninfo, only the archive', () => {
  const parameters = postgresParameters(
    config,
    {},
    {
      connUrl: undefined,
      remote: true,
      slotName: 'standby_dr',
      restoreCommand: 'cp /archive/%f %p',
    },
  );
  expect(parameters.has('primary_conninfo')).toBe(false);
  expect(parameters.has('primary_slot_name')).toBe(false);
  expect(parameters.get('restore_command')).toBe('cp /archive/%f %p');
  expect(parameters.get('recovery_target_timeline')).toBe('latest');
});
