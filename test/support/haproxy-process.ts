import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { registerChild, waitForExit, type LocalCluster } from '../../libs/harness/src/index.ts';

export const HAPROXY_BINARY = '/usr/sbin/haproxy';
/** The recipe, in the repository the cluster runs from (the source tree, or its build for a bench). */
const RECIPE = 'deploy/haproxy/haproxy.cfg';

function replaced(text: string, pattern: RegExp, replacement: (match: string[]) => string): string {
  let count = 0;
  const result = text.replace(pattern, (...match: string[]) => {
    count += 1;
    return replacement(match);
  });
  if (count === 0) throw new Error(`the HAProxy recipe no longer matches ${pattern}`);
  return result;
}

/**
 * The recipe of deploy/haproxy/haproxy.cfg pointed at a local cluster: its listeners bound to free
 * loopback ports, each `server` at the member's PostgreSQL and checked, as Patroni's recipe checks a
 * node, on the same address at the port of the member's own gateway (on one machine each member's
 * gateway has a port of its own). Checks run every 200 ms so that the test runs fast; `timing` may
 * shorten the check timeout too, and `statsSocket` opens HAProxy's stats socket there (see
 * `serverStatuses`). Everything else is the recipe as shipped.
 */
export async function haproxyConfigFor(
  cluster: LocalCluster,
  ports: { primary: number; replicas: number },
  options: { checkTimeout?: string; statsSocket?: string } = {},
): Promise<string> {
  let text = await readFile(join(cluster.options.repoDir, RECIPE), 'utf8');
  if (options.checkTimeout !== undefined)
    text = replaced(text, /timeout check \S+/g, () => `timeout check ${options.checkTimeout}`);
  // The recipe's admin socket listens on a fixed port for the router updater; a test opens its own or none.
  text = replaced(text, /^\s*stats socket .*$/m, () =>
    options.statsSocket === undefined ? '' : `  stats socket ${options.statsSocket}`,
  );
  text = replaced(text, /bind \*:5000/g, () => `bind 127.0.0.1:${ports.primary}`);
  text = replaced(text, /bind \*:5001/g, () => `bind 127.0.0.1:${ports.replicas}`);
  text = replaced(text, /inter 1s/g, () => 'inter 200ms');
  text = replaced(text, /server (\S+) \S+ (.*)check port \d+/g, ([, name = '', options = '']) => {
    const member = cluster.member(name);
    return `server ${name} 127.0.0.1:${member.ports.postgres} ${options}check port ${member.ports.restapi}`;
  });
  return text;
}

/** The real HAProxy from Debian, in the foreground, registered with the harness so it never outlives the run. */
export class HaproxyProcess {
  private output = '';

  private constructor(private readonly child: ChildProcess) {
    const keep = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString()).slice(-8000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  static async start(dir: string, config: string): Promise<HaproxyProcess> {
    const file = join(dir, 'haproxy.cfg');
    await writeFile(file, config);
    const child = spawn(HAPROXY_BINARY, ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    registerChild(child);
    return new HaproxyProcess(child);
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  get recentOutput(): string {
    return this.output;
  }

  async stop(): Promise<void> {
    if (!this.exited) this.child.kill('SIGTERM');
    await waitForExit(this.child, 5_000);
  }
}

/**
 * Each server's check status (`UP`, `DOWN`, ...) by `<listen section>/<server>`, from `show stat` on
 * HAProxy's stats socket.
 */
export function serverStatuses(statsSocket: string): Promise<Map<string, string>> {
  return new Promise((resolveStatuses, reject) => {
    let text = '';
    const socket = createConnection(statsSocket);
    socket.setTimeout(2_000, () =>
      socket.destroy(new Error('HAProxy stats socket: no answer in 2 s')),
    );
    socket.on('connect', () => socket.end('show stat\n'));
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.on('error', reject);
    socket.on('close', () => {
      const [header = '', ...rows] = text.split('\n').filter((line) => line !== '');
      const columns = header.replace(/^# /, '').split(',');
      const status = columns.indexOf('status');
      if (status < 0) {
        reject(new Error(`HAProxy stats socket: unexpected answer ${JSON.stringify(text)}`));
        return;
      }
      const statuses = new Map<string, string>();
      for (const row of rows) {
        const fields = row.split(',');
        if (fields[1] === 'FRONTEND' || fields[1] === 'BACKEND') continue;
        statuses.set(`${fields[0]}/${fields[1]}`, fields[status] ?? '');
      }
      resolveStatuses(statuses);
    });
  });
}
