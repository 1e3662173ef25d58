import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { LAB_HOSTS, LAB_INTERFACE, LAB_PREFIX_LENGTH, type LabHost } from './lab-layout.ts';

/**
 * Every namespace a run creates is named `natlab<pid>-<host>`, <pid> being the process that owns the
 * network: a later run removes what a dead run left behind, and never touches a live run's hosts.
 */
const NAMESPACE_PREFIX = 'natlab';
const SWITCH = 'sw';
const BRIDGE = 'br0';

function ip(args: readonly string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function quietly(run: () => unknown): void {
  try {
    run();
  } catch {
    // Already gone: cleanup is idempotent.
  }
}

function listNamespaces(): string[] {
  return ip(['netns', 'list'])
    .split('\n')
    .map((line) => line.split(' ')[0])
    .filter((name) => name.startsWith(NAMESPACE_PREFIX));
}

function ownerIsAlive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('node');
  } catch {
    return false;
  }
}

/** Kills every process in the namespace (services, PostgreSQL backends, nats-server), then deletes it. */
function removeNamespace(namespace: string): void {
  quietly(() => {
    for (const pid of ip(['netns', 'pids', namespace]).split('\n').filter(Boolean)) {
      quietly(() => process.kill(Number(pid), 'SIGKILL'));
    }
  });
  quietly(() => ip(['netns', 'del', namespace]));
}

/** Removes the namespaces of lab runs whose owner has died (a crash, a SIGKILL, a power cut). */
export function sweepDeadLabNetworks(): string[] {
  const removed: string[] = [];
  for (const namespace of listNamespaces()) {
    const owner = Number(/^natlab(\d+)-/.exec(namespace)?.[1]);
    if (owner === process.pid || (Number.isInteger(owner) && ownerIsAlive(owner))) continue;
    removeNamespace(namespace);
    removed.push(namespace);
  }
  return removed;
}

/**
 * Why this machine cannot build a lab, or undefined when it can: the lab needs root, iproute2 with
 * network namespaces, and nftables for its partitions.
 */
export function labUnavailableReason(): string | undefined {
  if (process.platform !== 'linux') return 'the lab needs Linux network namespaces';
  if (process.getuid?.() !== 0) return 'the lab needs root to create network namespaces';
  const probe = `${NAMESPACE_PREFIX}${process.pid}-probe`;
  try {
    ip(['netns', 'add', probe]);
    execFileSync('ip', ['netns', 'exec', probe, 'nft', 'list', 'ruleset'], { stdio: 'ignore' });
    execFileSync('ip', ['netns', 'exec', probe, 'tc', 'qdisc', 'show'], { stdio: 'ignore' });
    return undefined;
  } catch (error) {
    const reason = (error as { stderr?: Buffer | string; message: string }).stderr
      ?.toString()
      .trim();
    return `cannot create a network namespace with nft and tc in it (${reason || (error as Error).message}); run scripts/prepare-machine.sh as root`;
  } finally {
    quietly(() => ip(['netns', 'del', probe]));
  }
}

/**
 * Why `tc netem` cannot run here, or undefined when it can: it needs the kernel's sch_netem, which some
 * kernels (containers, minimal VMs) lack.
 */
export function netemUnavailableReason(): string | undefined {
  const probe = `${NAMESPACE_PREFIX}${process.pid}-netem`;
  try {
    ip(['netns', 'add', probe]);
    ip(['-n', probe, 'link', 'set', 'lo', 'up']);
    execFileSync(
      'ip',
      ['netns', 'exec', probe, 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '1ms'],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    return undefined;
  } catch (error) {
    const reason = (error as { stderr?: Buffer | string; message: string }).stderr
      ?.toString()
      .trim();
    return `tc netem is not available on this kernel (${reason || (error as Error).message}): it needs the sch_netem module`;
  } finally {
    quietly(() => ip(['netns', 'del', probe]));
  }
}

/**
 * The lab's hosts: one network namespace each, joined by a bridge that lives in a namespace of its own,
 * so that nothing of the lab touches the machine's own interfaces, routes or firewall.
 */
export class LabNetwork {
  private removed = false;

  private constructor(
    readonly owner: number,
    readonly hosts: readonly LabHost[],
  ) {}

  static namespaceOf(owner: number, hostName: string): string {
    return `${NAMESPACE_PREFIX}${owner}-${hostName}`;
  }

  namespace(hostName: string): string {
    return LabNetwork.namespaceOf(this.owner, hostName);
  }

  /** Builds the hosts; on any failure removes what it built and throws. */
  static create(hosts: readonly LabHost[] = LAB_HOSTS): LabNetwork {
    const network = new LabNetwork(process.pid, hosts);
    try {
      const switchNs = network.namespace(SWITCH);
      ip(['netns', 'add', switchNs]);
      ip(['-n', switchNs, 'link', 'add', BRIDGE, 'type', 'bridge']);
      ip(['-n', switchNs, 'link', 'set', BRIDGE, 'up']);
      for (const host of hosts) {
        const namespace = network.namespace(host.name);
        const port = `v-${host.name}`;
        ip(['netns', 'add', namespace]);
        // Both ends are created inside their namespaces: no interface ever appears on the machine itself.
        ip([
          'link',
          'add',
          'name',
          LAB_INTERFACE,
          'netns',
          namespace,
          'type',
          'veth',
          'peer',
          'name',
          port,
          'netns',
          switchNs,
        ]);
        ip(['-n', switchNs, 'link', 'set', port, 'master', BRIDGE, 'up']);
        ip([
          '-n',
          namespace,
          'addr',
          'add',
          `${host.address}/${LAB_PREFIX_LENGTH}`,
          'dev',
          LAB_INTERFACE,
        ]);
        ip(['-n', namespace, 'link', 'set', LAB_INTERFACE, 'up']);
        ip(['-n', namespace, 'link', 'set', 'lo', 'up']);
      }
    } catch (error) {
      network.remove();
      throw error;
    }
    return network;
  }

  /** Kills every process in the lab's namespaces and removes them; safe to call twice, and synchronous so that it runs on exit. */
  remove(): void {
    if (this.removed) return;
    this.removed = true;
    for (const host of this.hosts) removeNamespace(this.namespace(host.name));
    removeNamespace(this.namespace(SWITCH));
  }
}
