import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { Agent, get } from 'node:http';

export interface Answer {
  status: number;
  body: string;
}

function readOrEmpty(read: () => string): string {
  try {
    return read();
  } catch {
    // The process has exited meanwhile.
    return '';
  }
}

/** The state letter and parent pid of `/proc/<pid>/stat`; the command name before them may hold spaces. */
function statOf(pid: number): { state: string; parent: number } | undefined {
  const stat = readOrEmpty(() => readFileSync(`/proc/${pid}/stat`, 'utf8'));
  if (stat === '') return undefined;
  const [state = '', parent = ''] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state, parent: Number(parent) };
}

export function commandLine(pid: number): string {
  return readOrEmpty(() => readFileSync(`/proc/${pid}/cmdline`, 'utf8'))
    .split('\0')
    .join(' ');
}

export function isRunning(pid: number): boolean {
  const state = statOf(pid)?.state;
  return state !== undefined && state !== 'Z';
}

/** The running children of `pid`: a cluster primary's workers. */
export function childProcesses(pid: number): number[] {
  return readdirSync('/proc')
    .map(Number)
    .filter((child) => Number.isInteger(child) && statOf(child)?.parent === pid)
    .filter(isRunning)
    .sort((a, b) => a - b);
}

/** The inode of the server's end of the loopback TCP connection from `clientPort` to `serverPort`. */
function serverSocketInode(serverPort: number, clientPort: number): string | undefined {
  const hexPort = (port: number): string => port.toString(16).toUpperCase().padStart(4, '0');
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const local = fields[1] ?? '';
    const remote = fields[2] ?? '';
    if (local.endsWith(`:${hexPort(serverPort)}`) && remote.endsWith(`:${hexPort(clientPort)}`))
      return fields[9];
  }
  return undefined;
}

function holdsSocket(pid: number, inode: string): boolean {
  const fdDir = `/proc/${pid}/fd`;
  let fds: string[];
  try {
    fds = readdirSync(fdDir);
  } catch {
    return false;
  }
  return fds.some(
    (fd) => readOrEmpty(() => readlinkSync(`${fdDir}/${fd}`)) === `socket:[${inode}]`,
  );
}

/**
 * The one process among `workers` that holds the server's end of the connection, as the kernel shows
 * it: which worker the cluster primary handed the connection to.
 */
export function workerHolding(
  workers: readonly number[],
  serverPort: number,
  clientPort: number,
): number {
  const inode = serverSocketInode(serverPort, clientPort);
  if (inode === undefined)
    throw new Error(`no TCP connection from :${clientPort} to :${serverPort} in /proc/net/tcp`);
  const holders = workers.filter((pid) => holdsSocket(pid, inode));
  if (holders.length !== 1) {
    throw new Error(
      `the connection from :${clientPort} to :${serverPort} is held by [${holders.join(', ')}], not by exactly one of the workers [${workers.join(', ')}]`,
    );
  }
  return holders[0] as number;
}

/**
 * One kept-alive HTTP connection to a listener: every request goes over the same TCP connection, so
 * the same worker answers them all. A request that would need a new connection fails instead.
 */
export class KeptAliveConnection {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });
  private clientPort: number | undefined;

  constructor(readonly port: number) {}

  /** The connection's local port; known after the first request. */
  get localPort(): number {
    if (this.clientPort === undefined) throw new Error('no request was made yet');
    return this.clientPort;
  }

  get(path: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const request = get(
        { host: '127.0.0.1', port: this.port, path, agent: this.agent, timeout: 5_000 },
        (response) => {
          const clientPort = response.socket.localPort;
          if (this.clientPort !== undefined && clientPort !== this.clientPort) {
            response.resume();
            reject(new Error(`the connection to :${this.port} was closed; a new one was opened`));
            return;
          }
          this.clientPort = clientPort;
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (body += chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
          response.on('error', reject);
        },
      );
      request.on('timeout', () =>
        request.destroy(new Error(`GET ${path} on :${this.port} got no answer within 5 s`)),
      );
      request.on('error', reject);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
