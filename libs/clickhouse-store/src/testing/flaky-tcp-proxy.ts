import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP proxy that can play an outage: while down, it cuts every open connection and
 * refuses new ones (as a crashed or unreachable server would), then forwards again when up.
 */
export class FlakyTcpProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private down = false;

  private constructor(targetHost: string, targetPort: number) {
    this.server = createServer((client) => {
      if (this.down) {
        client.destroy();
        return;
      }
      const upstream = connect(targetPort, targetHost);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }

  static async start(target: URL): Promise<FlakyTcpProxy> {
    const proxy = new FlakyTcpProxy(target.hostname, Number(target.port));
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    const address = this.server.address();
    if (typeof address !== 'object' || address === null) throw new Error('proxy not listening');
    return `http://127.0.0.1:${address.port}`;
  }

  setDown(down: boolean): void {
    this.down = down;
    if (down) for (const socket of this.sockets) socket.destroy();
  }

  async close(): Promise<void> {
    this.setDown(true);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
