import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, ServiceProcess, waitForExit } from '../../libs/harness/src/index.ts';

/**
 * A built service started with a bad configuration stops at once with exit code 1 and a log line
 * that names each bad key (and the variable, when the value came from the environment).
 */
const repoDir = resolve(__dirname, '../..');
let dir: string;
const started: ServiceProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'natroni-test-config-'));
});

afterAll(async () => {
  for (const service of started) service.kill();
  await rm(dir, { recursive: true, force: true });
});

const BAD_FILE = `
scope: demo
name: pg1
nats:
  servers: [nats://127.0.0.1:4222]
  kv_replicas: 9
restapi:
  listen: nowhere
postgresql:
  listen: 127.0.0.1:5432
  use_pg_rewind: sometimes
`;

async function runToExit(
  app: 'node-agent' | 'election' | 'api-gateway',
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const service = ServiceProcess.start({ app, repoDir, httpPort: await freePort(), env });
  started.push(service);
  await waitForExit(service.child, 20_000);
  return { code: service.child.exitCode, output: service.recentOutput };
}

/** The JSON log line of the failed start. */
function fatalLine(output: string): string {
  const line = output.split('\n').find((candidate) => candidate.includes('failed to start'));
  if (!line) throw new Error(`no "failed to start" line in: ${output}`);
  return line;
}

test.each(['node-agent', 'election'] as const)(
  '%s with a bad member file exits 1 naming every bad key',
  async (app) => {
    const file = join(dir, `${app}.yml`);
    await writeFile(file, BAD_FILE);
    const { code, output } = await runToExit(app, { NATRONI_CONFIG: file });
    expect(code).toBe(1);
    const line = fatalLine(output);
    expect(JSON.parse(line)).toMatchObject({ level: expect.any(Number) });
    expect(line).toContain(file);
    expect(line).toContain('restapi.listen: must be host:port');
    expect(line).toMatch(/nats\.kv_replicas: [^"\\]*5/);
    expect(line).toContain('postgresql.data_dir');
    expect(line).toContain('postgresql.use_pg_rewind');
  },
);

test('a bad value from the environment names the key and the variable', async () => {
  const file = join(dir, 'good.yml');
  await writeFile(
    file,
    'scope: demo\nname: pg1\nrestapi: {listen: 127.0.0.1:8008}\npostgresql: {listen: 127.0.0.1:5432, data_dir: /tmp/x}\n',
  );
  const { code, output } = await runToExit('node-agent', {
    NATRONI_CONFIG: file,
    NATRONI_POSTGRESQL_LISTEN: 'no port',
  });
  expect(code).toBe(1);
  expect(fatalLine(output)).toContain('postgresql.listen (from NATRONI_POSTGRESQL_LISTEN)');
});

test('a file that is not YAML is named with the reason', async () => {
  const file = join(dir, 'broken.yml');
  await writeFile(file, 'scope: demo\nname: [pg1\n');
  const { code, output } = await runToExit('election', { NATRONI_CONFIG: file });
  expect(code).toBe(1);
  expect(fatalLine(output)).toContain(`${file}`);
  expect(fatalLine(output)).toContain('not valid YAML');
});

test("the gateway's bad member list names the variable", async () => {
  const { code, output } = await runToExit('api-gateway', {
    NATRONI_GATEWAY_MEMBERS: 'pg1=127.0.0.1:8008,pg2',
  });
  expect(code).toBe(1);
  expect(fatalLine(output)).toContain('NATRONI_GATEWAY_MEMBERS: \\"pg2\\" is not name=host:port');
});

test("the gateway's bad worker count names the variable, before any worker is forked", async () => {
  const { code, output } = await runToExit('api-gateway', { NATRONI_GATEWAY_WORKERS: 'many' });
  expect(code).toBe(1);
  expect(fatalLine(output)).toContain(
    'NATRONI_GATEWAY_WORKERS: \\"many\\" is not a whole number from 1 to 64',
  );
  expect(output).not.toContain('starting its workers');
});
