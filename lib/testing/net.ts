import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Starts `server` listening on `port` and `host`, rejecting instead of emitting `error` when it cannot
 * (a port already in use, an address not of this machine).
 */
export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

/** Stops `server`, ending its idle and in-flight connections at once rather than waiting for them. */
export function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}

/** The origin of a listening server, `http://127.0.0.1:PORT` (an IPv6 host between brackets). */
export function origin(server: Server, host: string): string {
  const { port } = server.address() as AddressInfo;
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}
