import { existsSync, readFileSync } from 'node:fs';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import {
  findProcessesUnder,
  NatsServerProcess,
  PostgresInstance,
} from '../../libs/harness/src/index.ts';

function osUidOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const uidLine = status.split('\n').find((line) => line.startsWith('Uid:'));
  if (!uidLine) throw new Error(`no Uid line in /proc/${pid}/status`);
  return Number(uidLine.split(/\s+/)[1]);
}

describe('NatsServerProcess', () => {
  let nats: NatsServerProcess | undefined;

  afterEach(async () => {
    await nats?.dispose();
    nats = undefined;
  });

  it('accepts a NATS connection and carries a publish/subscribe round trip', async () => {
    nats = await NatsServerProcess.start();
    const connection = await connect({ servers: nats.url, timeout: 5_000 });
    try {
      const subscription = connection.subscribe('harness.ping', { max: 1 });
      connection.publish('harness.ping', 'hello');
      let received: string | undefined;
      for await (const message of subscription) received = message.string();
      expect(received).toBe('hello');
    } finally {
      await connection.close();
    }
  });

  it('restarts on the same port with its JetStream store', async () => {
    nats = await NatsServerProcess.start();
    const port = nats.port;
    const before = await connect({ servers: nats.url, timeout: 5_000 });
    try {
      const bucket = await new Kvm(before).create('harness');
      await bucket.put('kept', 'across the restart');
    } finally {
      await before.close();
    }

    await nats.restart();

    expect(nats.port).toBe(port);
    const after = await connect({ servers: nats.url, timeout: 5_000 });
    try {
      const bucket = await new Kvm(after).open('harness');
      expect((await bucket.get('kept'))?.string()).toBe('across the restart');
    } finally {
      await after.close();
    }
  });
});

describe('PostgresInstance', () => {
  const instances: PostgresInstance[] = [];

  async function startedInstance(): Promise<PostgresInstance> {
    const instance = await PostgresInstance.initdb();
    instances.push(instance);
    await instance.start();
    return instance;
  }

  afterEach(async () => {
    await Promise.all(instances.splice(0).map((instance) => instance.dispose()));
  });

  it('runs as an unprivileged OS user, answers SQL and stops fast', async () => {
    const instance = await PostgresInstance.initdb();
    instances.push(instance);
    await instance.writeConfig({ application_name: 'harness test', max_connections: 42 });
    await instance.start();
    const pid = instance.pid as number;

    if (process.getuid?.() === 0) expect(osUidOf(pid)).not.toBe(0);
    const rows = await instance.query<{ answer: number; name: string; connections: string }>(
      "SELECT $1::int + 1 AS answer, current_setting('application_name') AS name, current_setting('max_connections') AS connections",
      [41],
    );
    expect(rows).toEqual([{ answer: 42, name: 'harness test', connections: '42' }]);
    expect(instance.connectionString()).toBe(
      `postgresql://postgres@127.0.0.1:${instance.port}/postgres`,
    );

    await instance.stop('fast');

    expect(instance.running).toBe(false);
    expect(await instance.exited).toEqual({ code: 0, signal: null });
    expect(findProcessesUnder(instance.dataDir, ['postgres'])).toEqual([]);
  });

  it('reports a killed postmaster through `exited`, and dispose cleans up after the crash', async () => {
    const instance = await startedInstance();
    const port = instance.port;

    instance.kill();

    expect(await instance.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(instance.running).toBe(false);
    await instance.start();
    expect(instance.port).toBe(port);
    expect(await instance.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);

    await instance.dispose();

    expect(existsSync(instance.baseDir)).toBe(false);
    expect(findProcessesUnder(instance.dataDir, ['postgres'])).toEqual([]);
  });

  it('runs two instances at once on different ports', async () => {
    const [first, second] = await Promise.all([startedInstance(), startedInstance()]);

    expect(first.port).not.toBe(second.port);
    await first.query('CREATE TABLE only_in_first (id int)');
    const [inFirst, inSecond] = await Promise.all(
      [first, second].map((instance) =>
        instance.query(
          "SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'only_in_first'",
        ),
      ),
    );
    expect(inFirst).toEqual([{ n: 1 }]);
    expect(inSecond).toEqual([{ n: 0 }]);
  });
});
