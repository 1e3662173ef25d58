import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP relay between one member's services and nats-server that a test can cut: cutting closes every
 * relayed connection and refuses new ones until `restore`, as a network partition between that node
 * and NATS would, while the member's PostgreSQL and HTTP stay reachable.
 */
export class NatsLink {
  private severed = false;
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;

  private constructor(private readonly natsPort: number) {
    this.server = createServer((client) => this.relay(client));
  }

  static async open(natsPort: number): Promise<NatsLink> {
    const link = new NatsLink(natsPort);
    await new Promise<void>((resolve, reject) => {
      link.server.once('error', reject);
      link.server.listen(0, '127.0.0.1', () => resolve());
    });
    return link;
  }

  get port(): number {
    const address = this.server.address();
    if (!address || typeof address === 'string') throw new Error('the NATS link is not listening');
    return address.port;
  }

  cut(): void {
    this.severed = true;
    for (const socket of this.sockets) socket.destroy();
  }

  restore(): void {
    this.severed = false;
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket): void {
    if (this.severed) {
      client.destroy();
      return;
    }
    const upstream = connect(this.natsPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
