import { createServer } from 'node:net';

/** Asks the kernel for an unused TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not read the port the kernel assigned'));
        return;
      }
      const { port } = address;
      server.close(() => resolve(port));
    });
  });
}

/** Every port freeListenPort has handed out in this process: a cluster asks for fifteen before binding any. */
const handedOut = new Set<number>();

/**
 * A free port below Linux's ephemeral range (32768 and up by default), for a server that binds it
 * seconds later: a port the kernel hands out for port 0 can meanwhile become the local port of an
 * outgoing connection, and the server's bind then fails. A port is never handed out twice: fifteen
 * random picks out of 12,000 repeat one about once in a hundred clusters.
 */
export async function freeListenPort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (handedOut.has(port) || !(await canListen(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('no free port between 20000 and 32000 after 200 tries');
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
