import { connect } from 'node:net';

/**
 * Whether something accepts TCP connections on PostgreSQL's address. The election never acts on
 * PostgreSQL; it only looks, to tell a dead agent (whose guard has shut PostgreSQL down) from a frozen
 * one (whose PostgreSQL still runs and must keep the lease, or two primaries could accept writes).
 */
export function acceptsConnections(address: string, timeoutMs: number): Promise<boolean> {
  const separator = address.lastIndexOf(':');
  const host = address.slice(0, separator);
  const port = Number(address.slice(separator + 1));
  return new Promise((resolve) => {
    const socket = connect({ host: host === '0.0.0.0' ? '127.0.0.1' : host, port });
    const done = (accepted: boolean) => {
      socket.destroy();
      resolve(accepted);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
