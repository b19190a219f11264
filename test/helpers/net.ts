import type { Server as HttpServer } from "node:http";
import { createServer, Socket, type Server } from "node:net";

/** A loopback port nothing listens on (one was free a moment ago): for a server the test starts later. */
export async function freePort(): Promise<number> {
  const server = createServer();
  const port = await listenOnLoopback(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function listenOnLoopback(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as { port: number }).port;
}

/** An HTTP server {@link listen} started. */
export interface Listening {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** Stops listening and ends the connections still open (keep-alive ones), so it never waits on a client. */
  close(): Promise<void>;
}

/** Starts an HTTP server on a random loopback port. */
export async function listen(server: HttpServer): Promise<Listening> {
  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** What a chunk goes through on its way across a {@link TcpProxy}: `forward()` sends it on, now or later. */
export type ProxyFilter = (chunk: Buffer, forward: () => void) => void;

/** A client's connection through a {@link TcpProxy}, and the proxy's own connection to the upstream. */
export interface ProxyConnection {
  client: Socket;
  upstream: Socket;
}

/** A test's fault: which clients get through, and what each connection does with the bytes, each way. */
export interface ProxyFaults {
  /** Whether a new client is let through (when not, it is disconnected at once). */
  accept?: () => boolean;
  /** The filters of one connection; a way without one is piped as is. */
  connection?: (connection: ProxyConnection) => {
    fromClient?: ProxyFilter;
    fromUpstream?: ProxyFilter;
  };
}

/**
 * A TCP proxy on a random loopback port to `upstream` (a database, Redis): each client gets a connection
 * of its own to the upstream, the bytes go through the test's `faults`, and every socket is tracked, so
 * that `severAll()` and `close()` end every connection at once. Either end closing closes the other.
 */
export class TcpProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  constructor(upstream: { host: string; port: number }, faults: ProxyFaults = {}) {
    this.#server = createServer((client) => {
      if (faults.accept && !faults.accept()) return void client.destroy();
      const connection = { client, upstream: new Socket().connect(upstream.port, upstream.host) };
      const filters = faults.connection?.(connection) ?? {};
      for (const [from, to, filter] of [
        [connection.client, connection.upstream, filters.fromClient],
        [connection.upstream, connection.client, filters.fromUpstream],
      ] as const) {
        this.#sockets.add(from);
        if (filter) from.on("data", (chunk: Buffer) => filter(chunk, () => to.write(chunk)));
        else from.pipe(to);
        from.on("error", () => to.destroy());
        from.on("close", () => {
          this.#sockets.delete(from);
          to.destroy();
        });
      }
    });
  }

  /** Starts listening; resolves to the port. */
  listen(): Promise<number> {
    return listenOnLoopback(this.#server);
  }

  /** Ends every connection open through the proxy, as a stopped server or a partition would. */
  severAll(): void {
    for (const socket of this.#sockets) socket.destroy();
  }

  close(): Promise<void> {
    this.severAll();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
