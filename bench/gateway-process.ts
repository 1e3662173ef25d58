/**
 * A member's own api-gateway for the benches, in the per-node layout: a separate process started from
 * its bundle, bound to that one member (NATRONI_GATEWAY_MEMBERS with one entry), with its default worker
 * count unless NATRONI_GATEWAY_WORKERS says otherwise.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { waitForExit, waitUntil } from '../libs/harness/src/index.ts';

export interface GatewayProcess {
  readonly member: string;
  readonly child: ChildProcess;
  /** The worker count the gateway logged when ready. */
  readonly workers: number;
}

export interface GatewaySettings {
  readonly scope: string;
  readonly natsUrl: string;
  /** The gateway's own API port. */
  readonly httpPort: number;
  readonly member: string;
  /** The member's listener, where load balancers ask its health. */
  readonly memberPort: number;
  /** NATRONI_GATEWAY_HEALTH_CHECK_FAST_PATH: on or off. */
  readonly fastPath: string;
}

/** Starts a member's gateway; resolves once it logs that it is ready, when every worker listens. */
export async function startGateway(settings: GatewaySettings): Promise<GatewayProcess> {
  const { member } = settings;
  const child = spawn(process.execPath, [resolve(__dirname, '../bundles/api-gateway/main.cjs')], {
    env: {
      ...process.env,
      NATRONI_SCOPE: settings.scope,
      NATRONI_NATS_SERVERS: settings.natsUrl,
      NATRONI_HTTP_PORT: String(settings.httpPort),
      NATRONI_GATEWAY_MEMBERS: `${member}=127.0.0.1:${settings.memberPort}`,
      NATRONI_GATEWAY_HEALTH_CHECK_FAST_PATH: settings.fastPath,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let workers: number | undefined;
  if (!child.stdout) throw new Error(`${member}'s gateway has no stdout`);
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (workers !== undefined || !line.includes('"msg":"api-gateway ready"')) return;
    workers = (JSON.parse(line) as { workers?: number }).workers ?? 1;
  });
  try {
    const ready = await waitUntil(
      () => {
        if (child.exitCode !== null)
          throw new Error(`${member}'s gateway exited (${child.exitCode})`);
        return workers;
      },
      {
        timeoutMs: 30_000,
        intervalMs: 100,
        what: `${member}'s gateway to log "api-gateway ready"`,
      },
    );
    return { member, child, workers: ready };
  } catch (error) {
    await stopGateway({ member, child, workers: 0 });
    throw error;
  }
}

/** SIGTERM, then waits (bounded) for the gateway and its workers to exit. */
export async function stopGateway(gateway: GatewayProcess): Promise<void> {
  const exited = waitForExit(gateway.child, 15_000);
  gateway.child.kill('SIGTERM');
  await exited;
}

/** Resident memory of a gateway's processes together (its primary and workers), in MB. */
export async function residentMemory(gateway: GatewayProcess): Promise<number> {
  const pid = String(gateway.child.pid);
  const output = await new Promise<string>((resolveOutput, reject) => {
    execFile('ps', ['-o', 'rss=', '-p', pid, '--ppid', pid], (error, stdout) =>
      error ? reject(error) : resolveOutput(stdout),
    );
  });
  const kilobytes = output
    .split('\n')
    .map((line) => Number(line.trim()))
    .filter((value) => Number.isFinite(value) && value > 0)
    .reduce((sum, value) => sum + value, 0);
  return Math.round(kilobytes / 1024);
}
