import { parseControlData } from '../../libs/domain/src/index.ts';

const SHUT_DOWN = `pg_control version number:            1300
Catalog version number:               202209061
Database system identifier:           7305938812931395616
Database cluster state:               shut down
pg_control last modified:             Mon 23 Nov 2026 12:00:01 PM UTC
Latest checkpoint location:           0/3000028
Latest checkpoint's REDO location:    0/3000028
Latest checkpoint's TimeLineID:       2
Latest checkpoint's PrevTimeLineID:   2
`;

test('the shutdown checkpoint and timeline of a cleanly stopped cluster', () => {
  expect(parseControlData(SHUT_DOWN)).toEqual({
    clusterState: 'shut down',
    checkpointWalPosition: 0x3000028,
    timeline: 2,
  });
});

test('missing fields stay unknown', () => {
  expect(parseControlData('Database cluster state: in production\n')).toEqual({
    clusterState: 'in production',
    checkpointWalPosition: undefined,
    timeline: undefined,
  });
});
