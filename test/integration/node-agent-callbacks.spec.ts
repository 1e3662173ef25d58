import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CallbackQueue,
  type CallbackOutcome,
} from '../../apps/node-agent/src/agent/callback-queue.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'natroni-callbacks-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('runs callbacks in order, one at a time, and kills a slow one at its timeout', async () => {
  const log = join(dir, 'calls.log');
  const script = join(dir, 'callback.sh');
  // Each call logs its start and end; on_stop sleeps past the timeout.
  await writeFile(
    script,
    [
      '#!/bin/sh',
      `echo "start $1 $2 $3" >> ${log}`,
      'if [ "$1" = on_stop ]; then sleep 30; fi',
      'if [ "$1" = on_reload ]; then exit 3; fi',
      `echo "end $1" >> ${log}`,
    ].join('\n'),
  );
  await chmod(script, 0o755);
  const outcomes: CallbackOutcome[] = [];
  const queue = new CallbackQueue({
    scope: 'demo',
    commands: { on_start: script, on_stop: script, on_reload: script, on_role_change: script },
    timeoutMs: 1_000,
    onCompleted: (outcome) => outcomes.push(outcome),
  });
  void queue.enqueue('on_start', 'replica');
  void queue.enqueue('on_stop', 'replica');
  void queue.enqueue('on_reload', 'replica');
  void queue.enqueue('on_restart', 'replica'); // not configured: skipped
  await queue.enqueue('on_role_change', 'primary');
  await queue.close();

  expect((await readFile(log, 'utf8')).trim().split('\n')).toEqual([
    'start on_start replica demo',
    'end on_start',
    'start on_stop replica demo',
    'start on_reload replica demo',
    'start on_role_change primary demo',
    'end on_role_change',
  ]);
  expect(
    outcomes.map(({ action, exitCode, timedOut }) => ({ action, exitCode, timedOut })),
  ).toEqual([
    { action: 'on_start', exitCode: 0, timedOut: false },
    { action: 'on_stop', exitCode: undefined, timedOut: true },
    { action: 'on_reload', exitCode: 3, timedOut: false },
    { action: 'on_role_change', exitCode: 0, timedOut: false },
  ]);
  expect(outcomes[1].durationMs).toBeGreaterThanOrEqual(1_000);
});
