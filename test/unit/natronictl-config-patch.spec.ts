import {
  mergePatchBetween,
  mergePatches,
  patchFromDocument,
  patchFromSetting,
  sameConfig,
} from '../../apps/natronictl/src/config-patch.ts';

test('--set turns a dotted key into a nested patch, the value read as a YAML scalar', () => {
  expect(patchFromSetting('loop_wait=5')).toEqual({ loop_wait: 5 });
  expect(patchFromSetting('postgresql.parameters.work_mem=8MB')).toEqual({
    postgresql: { parameters: { work_mem: '8MB' } },
  });
  expect(patchFromSetting('postgresql.use_slots=true')).toEqual({
    postgresql: { use_slots: true },
  });
  expect(patchFromSetting("postgresql.parameters.hot_standby='on'")).toEqual({
    postgresql: { parameters: { hot_standby: 'on' } },
  });
  expect(patchFromSetting('postgresql.parameters.wal_log_hints=on')).toEqual({
    postgresql: { parameters: { wal_log_hints: 'on' } },
  });
});

test('--set key=null or key= deletes the key', () => {
  expect(patchFromSetting('pause=null')).toEqual({ pause: null });
  expect(patchFromSetting('pause=')).toEqual({ pause: null });
});

test.each(['loop_wait', '=5', 'a..b=1', '.a=1', '__proto__.x=1'])(
  "--set %s is refused with patronictl's message",
  (setting) => {
    expect(() => patchFromSetting(setting)).toThrow(`Invalid parameter setting ${setting}`);
  },
);

test('a patch file must hold a mapping', () => {
  expect(
    patchFromDocument('ttl: 30\npostgresql: {parameters: {max_connections: 200}}', 'p.yml'),
  ).toEqual({ ttl: 30, postgresql: { parameters: { max_connections: 200 } } });
  expect(patchFromDocument('{"ttl": 30}', 'p.json')).toEqual({ ttl: 30 });
  for (const text of ['- a', '42', '']) {
    expect(() => patchFromDocument(text, 'p.yml')).toThrow(/p\.yml: expected a mapping/);
  }
  expect(() => patchFromDocument('a: [', 'p.yml')).toThrow(/p\.yml: not valid YAML/);
});

test('later patches win, mappings merge and deletions are kept', () => {
  expect(
    mergePatches(
      { ttl: 30, postgresql: { parameters: { a: 1, b: 2 } }, pause: true },
      { postgresql: { parameters: { b: null, c: 3 } }, pause: null },
    ),
  ).toEqual({ ttl: 30, postgresql: { parameters: { a: 1, b: null, c: 3 } }, pause: null });
});

test('the merge patch between two configurations changes only what differs', () => {
  const before = { ttl: 30, loop_wait: 10, postgresql: { parameters: { a: 1, b: 2 } } };
  const after = {
    ttl: 30,
    loop_wait: 5,
    postgresql: { parameters: { a: 1, c: 'x' } },
    pause: true,
  };
  expect(mergePatchBetween(before, after)).toEqual({
    loop_wait: 5,
    postgresql: { parameters: { b: null, c: 'x' } },
    pause: true,
  });
  expect(sameConfig(before, { ...before })).toBe(true);
  expect(sameConfig(before, after)).toBe(false);
});

test("a PostgreSQL parameter's dotted name stays one key", () => {
  expect(patchFromSetting('postgresql.parameters.auto_explain.log_min_duration=100')).toEqual({
    postgresql: { parameters: { 'auto_explain.log_min_duration': 100 } },
  });
});
