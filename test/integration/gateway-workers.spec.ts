import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freeListenPort, ServiceProcess, waitUntil } from '../../libs/harness/src/index.ts';
import {
  PatroniGatewayFixture,
  primaryStatus,
  replicaStatus,
  type MemberName,
} from '../support/patroni-gateway-fixture.ts';
import {
  childProcesses,
  commandLine,
  isRunning,
  KeptAliveConnection,
  workerHolding,
  type Answer,
} from '../support/worker-connections.ts';

/**
 * The built gateway with NATRONI_GATEWAY_WORKERS=2 on a real nats-server: both worker processes take
 * connections on every listener and answer alike, a KV change reaches each of them, a killed worker is
 * replaced, and SIGTERM stops them all. Which worker holds a connection is read from /proc.
 */
const REPO = resolve(__dirname, '../..');
const WORKERS = 2;

interface Check {
  member: MemberName;
  path: string;
  status: number;
  role: string;
}

/** The standard cluster (pg1 leads, pg2 and pg3 stream), as load balancers ask about it. */
const CHECKS: readonly Check[] = [
  { member: 'pg1', path: '/primary', status: 200, role: 'primary' },
  { member: 'pg2', path: '/replica?lag=1MB', status: 200, role: 'replica' },
  { member: 'pg1', path: '/patroni', status: 200, role: 'primary' },
  { member: 'pg2', path: '/primary', status: 503, role: 'replica' },
];
const FRESH_CONNECTIONS = 40;

/** The built gateway serving a fixture's members with two workers, its log in a file. */
class WorkerGateway {
  private readonly seen = new Set<number>();

  private constructor(
    readonly service: ServiceProcess,
    readonly primaryPid: number,
    private readonly logFile: string,
  ) {}

  static async start(fixture: PatroniGatewayFixture, logFile: string): Promise<WorkerGateway> {
    const service = ServiceProcess.start({
      app: 'api-gateway',
      repoDir: REPO,
      httpPort: await freeListenPort(),
      env: { ...fixture.gatewayEnvironment(), NATRONI_GATEWAY_WORKERS: String(WORKERS) },
      logFile,
    });
    if (service.pid === undefined) throw new Error('the gateway did not start');
    return new WorkerGateway(service, service.pid, logFile);
  }

  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  /** Waits until the log holds `fragment`; fails at once, with the log's end, if the gateway exits. */
  async untilLogged(fragment: string, timeoutMs: number): Promise<void> {
    try {
      await waitUntil(
        () => {
          if (this.log().includes(fragment)) return true;
          if (this.service.exited) throw new Error('the gateway exited');
          return undefined;
        },
        { timeoutMs, intervalMs: 20, what: `the gateway to log ${fragment}` },
      );
    } catch (error) {
      const tail = this.log()
        .split('\n')
        .filter((line) => !/"context":"(RouterExplorer|RoutesResolver|InstanceLoader)"/.test(line))
        .join('\n')
        .slice(-4000);
      throw new Error(`${(error as Error).message}; its log ends with:\n${tail}`, { cause: error });
    }
  }

  /** The primary's running workers, by pid. */
  workers(): number[] {
    const found = childProcesses(this.primaryPid);
    for (const pid of found) this.seen.add(pid);
    return found;
  }

  /** Every worker this gateway was seen to run that is still running. */
  runningWorkers(): number[] {
    return [...this.seen].filter(isRunning);
  }

  kill(): void {
    this.service.kill();
    // A worker outlives a killed primary only until it notices the closed IPC channel; be sure.
    for (const pid of this.runningWorkers()) {
      if (commandLine(pid).includes(`${REPO}/dist/bundles/api-gateway/`))
        process.kill(pid, 'SIGKILL');
    }
  }
}

describe('api-gateway with two worker processes (built, real nats-server)', () => {
  let fixture: PatroniGatewayFixture;
  let gateway: WorkerGateway | undefined;
  let logDir: string | undefined;
  let workers: number[] = [];
  const open: KeptAliveConnection[] = [];

  function parsedDocument(answer: Answer): { role?: string; patroni?: { name?: string } } {
    return JSON.parse(answer.body) as { role?: string; patroni?: { name?: string } };
  }

  /** Each check on fresh connections: the answers are right, and every worker answers on every listener. */
  async function checkFreshConnections(): Promise<void> {
    const owners = new Map<number, Set<number>>();
    for (let index = 0; index < FRESH_CONNECTIONS; index += 1) {
      const check = CHECKS[index % CHECKS.length] as Check;
      const port = fixture.ports[check.member];
      const connection = new KeptAliveConnection(port);
      try {
        const answer = await connection.get(check.path);
        const worker = workerHolding(workers, port, connection.localPort);
        const what = `worker ${worker} on ${check.member} GET ${check.path}`;
        expect({ what, status: answer.status }).toEqual({ what, status: check.status });
        const document = parsedDocument(answer);
        expect({ what, role: document.role, name: document.patroni?.name }).toEqual({
          what,
          role: check.role,
          name: check.member,
        });
        owners.set(port, (owners.get(port) ?? new Set()).add(worker));
      } finally {
        connection.close();
      }
    }
    for (const [port, seen] of owners) {
      expect({ port, workers: [...seen].sort() }).toEqual({ port, workers });
    }
  }

  /** One kept-alive connection to `member`'s listener per worker, keyed by the worker's pid. */
  async function connectionPerWorker(
    member: MemberName,
  ): Promise<Map<number, KeptAliveConnection>> {
    const port = fixture.ports[member];
    const pinned = new Map<number, KeptAliveConnection>();
    for (let attempt = 0; attempt < 20 && pinned.size < workers.length; attempt += 1) {
      const connection = new KeptAliveConnection(port);
      open.push(connection);
      await connection.get('/liveness');
      const worker = workerHolding(workers, port, connection.localPort);
      if (pinned.has(worker)) connection.close();
      else pinned.set(worker, connection);
    }
    if (pinned.size < workers.length) {
      throw new Error(
        `20 connections to ${member} reached only the workers [${[...pinned.keys()].join(', ')}] of [${workers.join(', ')}]`,
      );
    }
    return pinned;
  }

  async function eachWorkerAnswers(
    pinned: Map<number, KeptAliveConnection>,
    member: MemberName,
    path: string,
    status: number,
  ): Promise<void> {
    for (const [worker, connection] of pinned) {
      await waitUntil(
        async () => ((await connection.get(path)).status === status ? true : undefined),
        {
          timeoutMs: 10_000,
          intervalMs: 50,
          what: `worker ${worker} to answer ${status} on ${member} GET ${path}`,
        },
      );
    }
  }

  beforeAll(async () => {
    fixture = await PatroniGatewayFixture.withoutGateway();
    logDir = await mkdtemp(join(tmpdir(), 'natroni-test-gateway-workers-'));
    gateway = await WorkerGateway.start(fixture, join(logDir, 'gateway.log'));
    await gateway.untilLogged('"msg":"api-gateway ready"', 45_000);
    await fixture.standardCluster();
  });

  afterAll(async () => {
    for (const connection of open) connection.close();
    gateway?.kill();
    await fixture?.dispose();
    if (logDir) await rm(logDir, { recursive: true, force: true });
  });

  it('runs two worker processes under the primary', () => {
    workers = (gateway as WorkerGateway).workers();
    expect(workers).toHaveLength(WORKERS);
  });

  it('answers right on fresh connections, from both workers on every listener', async () => {
    await checkFreshConnections();
  });

  it('a KV change reaches every worker', async () => {
    const pg1 = await connectionPerWorker('pg1');
    const pg2 = await connectionPerWorker('pg2');
    await fixture.setStatus(replicaStatus('pg1', fixture.scope, fixture.ports.pg1));
    await fixture.setStatus(primaryStatus('pg2', fixture.scope, fixture.ports.pg2));
    await fixture.setLeader('pg2', 2);
    await eachWorkerAnswers(pg2, 'pg2', '/primary', 200);
    await eachWorkerAnswers(pg1, 'pg1', '/primary', 503);

    await fixture.setStatus(primaryStatus('pg1', fixture.scope, fixture.ports.pg1));
    await fixture.setStatus(replicaStatus('pg2', fixture.scope, fixture.ports.pg2));
    await fixture.setLeader('pg1', 3);
    await eachWorkerAnswers(pg1, 'pg1', '/primary', 200);
    await eachWorkerAnswers(pg2, 'pg2', '/primary', 503);
    for (const connection of [...pg1.values(), ...pg2.values()]) connection.close();
  });

  it('replaces a worker that dies, and the new one answers too', async () => {
    const started = gateway as WorkerGateway;
    const [victim, survivor] = workers as [number, number];
    process.kill(victim, 'SIGKILL');
    await started.untilLogged(`"workerPid":${victim},"code":null,"signal":"SIGKILL"`, 10_000);
    await started.untilLogged('"msg":"worker replaced"', 45_000);
    workers = started.workers();
    expect(workers).toHaveLength(WORKERS);
    expect(workers).toContain(survivor);
    expect(workers).not.toContain(victim);
    await checkFreshConnections();
  });

  it('SIGTERM stops the primary and every worker, with exit code 0', async () => {
    const started = gateway as WorkerGateway;
    const processes = [started.primaryPid, ...started.workers()];
    expect(processes).toHaveLength(1 + WORKERS);
    expect(await started.service.stop('SIGTERM', 15_000)).toBe(0);
    expect(processes.filter(isRunning)).toEqual([]);
    expect(started.runningWorkers()).toEqual([]);
    expect(started.log()).toContain('"exitCode":0,"msg":"api-gateway stopped"');
    await expect(fetch(fixture.url('pg1', '/primary'))).rejects.toThrow();
  });
});

describe('api-gateway with two workers stopped while one still boots (built, real nats-server)', () => {
  let fixture: PatroniGatewayFixture;
  let gateway: WorkerGateway | undefined;
  let logDir: string | undefined;

  beforeAll(async () => {
    fixture = await PatroniGatewayFixture.withoutGateway();
    logDir = await mkdtemp(join(tmpdir(), 'natroni-test-gateway-workers-'));
  });

  afterAll(async () => {
    gateway?.kill();
    await fixture?.dispose();
    if (logDir) await rm(logDir, { recursive: true, force: true });
  });

  it('exits with code 0 and leaves no process', async () => {
    // As a harness does: SIGTERM once /health answers, which the first worker ready makes it do; the
    // other worker is then usually still booting.
    const started = await WorkerGateway.start(fixture, join(logDir as string, 'gateway.log'));
    gateway = started;
    await started.untilLogged('"msg":"api-gateway worker ready"', 45_000);
    const processes = [started.primaryPid, ...started.workers()];
    expect(processes).toHaveLength(1 + WORKERS);
    expect(await started.service.stop('SIGTERM', 15_000)).toBe(0);
    expect(processes.filter(isRunning)).toEqual([]);
  });
});
