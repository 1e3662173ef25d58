import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { NatsConnection } from '@nats-io/transport-node';
import { FAULT_KIND_INFO, type ScheduledFault } from './fault-schedule.ts';
import { LAB_INTERFACE, LAB_PORTS, NATS_HOSTS } from './lab-layout.ts';
import { LabNetwork } from './lab-network.ts';
import {
  LAB_RESTAPI_CREDENTIALS,
  type LabCluster,
  type LabMember,
  type NatroniProcess,
} from './lab-cluster.ts';

const run = promisify(execFile);

/** How long each kind of fault lasts, from the cluster's timings. */
export interface FaultTimings {
  /** Faults that should make a replica take over are held this long: longer than the takeover bound. */
  readonly takeoverHoldMs: number;
  /** Faults that need no takeover (a replica cut off, a NATS server isolated, a slow link). */
  readonly shortHoldMs: number;
  /** A killed process is started again after this pause, as a supervisor would. */
  readonly restartPauseMs: number;
}

/** What an injected fault hit, and how to undo it. */
export interface InjectedFault {
  readonly target: string;
  readonly holdMs: number;
  readonly heal: () => Promise<void>;
  readonly note?: string;
}

function inNamespace(namespace: string, command: string, args: readonly string[]) {
  return run('ip', ['netns', 'exec', namespace, command, ...args], { timeout: 10_000 });
}

/** Drops, on the host's one interface, what nft `rules` match; `undo` removes the table again. */
async function firewall(cluster: LabCluster, namespace: string, rules: readonly string[]) {
  const file = join(cluster.options.baseDir, `${namespace}.nft`);
  await writeFile(
    file,
    [
      'table inet lab {',
      '  chain in { type filter hook input priority 0; policy accept; }',
      '  chain out { type filter hook output priority 0; policy accept; }',
      '}',
      ...rules.map((rule) => `add rule inet lab ${rule}`),
      '',
    ].join('\n'),
  );
  await inNamespace(namespace, 'nft', ['-f', file]);
  return async () => {
    await inNamespace(namespace, 'nft', ['delete', 'table', 'inet', 'lab']);
  };
}

const CUT_ALL = [`in iifname "${LAB_INTERFACE}" drop`, `out oifname "${LAB_INTERFACE}" drop`];

function cutFrom(addresses: readonly string[]): string[] {
  const set = `{ ${addresses.join(', ')} }`;
  return [`in ip saddr ${set} drop`, `out ip daddr ${set} drop`];
}

/** The postmaster's pid from postmaster.pid, and every process whose parent it is. */
function postgresProcesses(dataDir: string): number[] {
  const postmaster = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  if (!Number.isInteger(postmaster) || postmaster <= 0)
    throw new Error(`no postmaster pid in ${dataDir}`);
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === postmaster) children.push(pid);
    } catch {
      // Exited meanwhile.
    }
  }
  return [postmaster, ...children];
}

function signal(pids: readonly number[], name: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, name);
    } catch {
      // Gone already (a fenced PostgreSQL is SIGKILLed while stopped).
    }
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Injects one scheduled fault into the lab. The primary and the replicas are those of the healthy
 * cluster the fault starts from.
 */
export async function injectFault(
  fault: ScheduledFault,
  cluster: LabCluster,
  nc: NatsConnection,
  primaryName: string,
  timings: FaultTimings,
): Promise<InjectedFault> {
  const primary = cluster.member(primaryName);
  const replicas = cluster.members.filter((member) => member !== primary);
  const replica = replicas[Math.floor(fault.pick * replicas.length)];
  const owner = cluster.options.networkOwner;
  const natsNamespace = (name: string) => LabNetwork.namespaceOf(owner, name);
  switch (fault.kind) {
    case 'partition-primary':
      return {
        target: primary.name,
        holdMs: timings.takeoverHoldMs,
        heal: await firewall(cluster, primary.namespace, CUT_ALL),
      };
    case 'partition-primary-from-nats-majority': {
      const kept = NATS_HOSTS[Math.floor(fault.pick * NATS_HOSTS.length)];
      const cut = NATS_HOSTS.filter((host) => host !== kept).map((host) => host.address);
      return {
        target: `${primary.name} (reaches only ${kept.name})`,
        holdMs: timings.takeoverHoldMs,
        heal: await firewall(cluster, primary.namespace, cutFrom(cut)),
      };
    }
    case 'asymmetric-drop-primary':
      return {
        target: `${primary.name} (outgoing)`,
        holdMs: timings.takeoverHoldMs,
        heal: await firewall(cluster, primary.namespace, [`out oifname "${LAB_INTERFACE}" drop`]),
      };
    case 'partition-replica':
      return {
        target: replica.name,
        holdMs: timings.shortHoldMs,
        heal: await firewall(cluster, replica.namespace, CUT_ALL),
      };
    case 'isolate-nats-server': {
      const server = NATS_HOSTS[Math.floor(fault.pick * NATS_HOSTS.length)];
      return {
        target: server.name,
        holdMs: timings.shortHoldMs,
        heal: await firewall(cluster, natsNamespace(server.name), CUT_ALL),
      };
    }
    case 'kill-stream-leader': {
      // Right after another NATS fault the stream may still be electing its leader: wait for one, bounded.
      let leader: string | undefined;
      for (let attempt = 0; attempt < 40 && !leader; attempt += 1) {
        leader = await cluster.streamLeader(nc).catch(() => undefined);
        if (!leader) await pause(250);
      }
      const server = cluster.nats.find((candidate) => candidate.options.name === leader);
      if (!server) {
        return {
          target: 'none',
          holdMs: 0,
          heal: async () => undefined,
          note: 'the KV stream had no leader to kill within 10 s',
        };
      }
      await server.kill();
      return {
        target: server.options.name,
        holdMs: timings.restartPauseMs * 2,
        heal: () => server.start(),
      };
    }
    case 'kill-agent':
    case 'kill-election':
    case 'kill-gateway': {
      const processName = fault.kind.slice('kill-'.length) as NatroniProcess;
      const member = fault.role === 'primary' ? primary : replica;
      await member.processes[processName].stop('SIGKILL', 5_000);
      return {
        target: `${member.name} ${processName} (${fault.role})`,
        holdMs: timings.restartPauseMs,
        heal: async () => {
          member.processes[processName] = cluster.launch(member, processName);
        },
      };
    }
    case 'stop-agent':
    case 'stop-election':
    case 'stop-gateway': {
      const processName = fault.kind.slice('stop-'.length) as NatroniProcess;
      const member = fault.role === 'primary' ? primary : replica;
      const pid = member.processes[processName].pid;
      if (pid !== undefined) signal([pid], 'SIGSTOP');
      return {
        target: `${member.name} ${processName} (${fault.role})`,
        holdMs: fault.role === 'primary' ? timings.takeoverHoldMs : timings.shortHoldMs,
        heal: async () => {
          if (pid !== undefined) signal([pid], 'SIGCONT');
        },
      };
    }
    case 'freeze-postgres': {
      // The postmaster first, so that it starts no new backend meanwhile; SIGCONT wakes whatever is left.
      const pids = postgresProcesses(primary.dataDir);
      signal(pids, 'SIGSTOP');
      return {
        target: `${primary.name} PostgreSQL (${pids.length} processes)`,
        holdMs: timings.takeoverHoldMs,
        heal: async () => signal(pids, 'SIGCONT'),
      };
    }
    case 'netem-primary':
      await inNamespace(primary.namespace, 'tc', [
        'qdisc',
        'add',
        'dev',
        LAB_INTERFACE,
        'root',
        'netem',
        'delay',
        '200ms',
        'loss',
        '30%',
      ]);
      return {
        target: primary.name,
        holdMs: timings.shortHoldMs,
        heal: async () => {
          await inNamespace(primary.namespace, 'tc', [
            'qdisc',
            'del',
            'dev',
            LAB_INTERFACE,
            'root',
          ]);
        },
      };
    case 'switchover': {
      // In synchronous mode only the synchronous standby the `sync` key names may take over (Patroni
      // answers 412 otherwise), and a new primary publishes it a loop after PostgreSQL confirms it.
      const candidate =
        cluster.options.dcs.synchronous_mode === true
          ? ((await publishedSyncStandby(cluster, primary)) ?? replica)
          : replica;
      return {
        target: `${primary.name} → ${candidate.name}`,
        holdMs: 0,
        ...(await switchover(primary, candidate)),
      };
    }
  }
}

/**
 * The member the primary's `GET /cluster` lists as `sync_standby`, waiting up to 10 s for one. Right after
 * a failover the `sync` key may still name the new primary itself, which is no candidate.
 */
async function publishedSyncStandby(
  cluster: LabCluster,
  primary: LabMember,
): Promise<LabMember | undefined> {
  for (let attempt = 0; attempt < 40; attempt += 1) {
    const standby = await cluster.syncStandby(primary);
    if (standby && standby.name !== primary.name) return standby;
    await pause(250);
  }
  return undefined;
}

async function switchover(
  primary: LabMember,
  candidate: LabMember,
): Promise<{ heal: () => Promise<void>; note?: string }> {
  const { username, password } = LAB_RESTAPI_CREDENTIALS;
  try {
    const response = await fetch(`http://${primary.host.address}:${LAB_PORTS.restapi}/switchover`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ leader: primary.name, candidate: candidate.name }),
      signal: AbortSignal.timeout(60_000),
    });
    const text = (await response.text()).trim();
    return {
      heal: async () => undefined,
      ...(response.ok ? {} : { note: `the switchover was refused: ${response.status} ${text}` }),
    };
  } catch (error) {
    return {
      heal: async () => undefined,
      note: `the switchover request failed: ${(error as Error).message}`,
    };
  }
}

export function describeFault(fault: ScheduledFault): string {
  return FAULT_KIND_INFO[fault.kind].description;
}

export { pause };
