import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transformFile } from '@swc/core';
import pg from 'pg';
import {
  ensureUnprivilegedUser,
  freePort,
  killProcessesUnder,
  PostgresInstance,
  postgresBinDir,
  registerChild,
  waitUntil,
} from '../../libs/harness/src/index.ts';

const SOURCES = ['postmaster-guard.ts', 'postmaster-process.ts', 'postgres-processes.ts'];
const TTL_MS = 10_000;

let instance: PostgresInstance;
let buildDir: string;
let agent: ChildProcess | undefined;

/**
 * The agent's postmaster code, compiled to CommonJS for a separate Node process that plays the agent:
 * the point is to kill -9 that process and see what becomes of its PostgreSQL.
 */
async function buildAgentStandIn(): Promise<string> {
  buildDir = await mkdtemp(join(tmpdir(), 'natroni-guard-'));
  for (const source of SOURCES) {
    const { code } = await transformFile(
      join(__dirname, '../../apps/node-agent/src/postgres', source),
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'commonjs' },
      },
    );
    await writeFile(
      join(buildDir, source.replace(/\.ts$/, '.js')),
      code.replaceAll(/\.ts(['"])/g, '.js$1'),
    );
  }
  const main = join(buildDir, 'agent.js');
  await writeFile(
    main,
    `const { PostmasterProcess } = require('./postmaster-process.js');
const [binDir, dataDir, uid, gid, port] = process.argv.slice(2);
const postmaster = PostmasterProcess.start(binDir, dataDir, { name: 'pg', uid: Number(uid), gid: Number(gid) },
  ['-p', port, '-c', 'listen_addresses=127.0.0.1', '-k', dataDir + '/..']);
postmaster.exited.then(() => process.exit(0));
setInterval(() => undefined, 1000);
`,
  );
  return main;
}

beforeAll(async () => {
  instance = await PostgresInstance.initdb();
});

afterAll(async () => {
  if (agent && agent.exitCode === null) agent.kill('SIGKILL');
  await killProcessesUnder(instance.dataDir, ['postgres']);
  await instance?.dispose();
  if (buildDir) await rm(buildDir, { recursive: true, force: true });
});

it('stops PostgreSQL within ttl when the agent is killed with kill -9', async () => {
  const main = await buildAgentStandIn();
  const osUser = await ensureUnprivilegedUser();
  const port = await freePort();
  agent = spawn(
    process.execPath,
    [
      main,
      postgresBinDir(),
      instance.dataDir,
      String(osUser.uid),
      String(osUser.gid),
      String(port),
    ],
    {
      stdio: 'ignore',
    },
  );
  registerChild(agent);
  const probe = async (): Promise<boolean> => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      user: 'postgres',
      connectionTimeoutMillis: 1_000,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('CREATE TABLE IF NOT EXISTS t (id int); INSERT INTO t VALUES (1)');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  await waitUntil(async () => ((await probe()) ? true : undefined), {
    timeoutMs: 30_000,
    intervalMs: 100,
    what: 'PostgreSQL under the stand-in agent to accept writes',
  });
  const postmasterPid = Number(
    (await readFile(join(instance.dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0],
  );
  const killedAt = performance.now();
  agent.kill('SIGKILL');
  await once(agent, 'exit');
  await waitUntil(async () => ((await probe()) ? undefined : true), {
    timeoutMs: TTL_MS,
    intervalMs: 100,
    what: 'PostgreSQL to stop accepting writes after its agent was killed',
  });
  expect(performance.now() - killedAt).toBeLessThan(TTL_MS);
  await waitUntil(() => (processAlive(postmasterPid) ? undefined : true), {
    timeoutMs: TTL_MS,
    what: 'the orphaned postmaster to exit',
  });
});

function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}
