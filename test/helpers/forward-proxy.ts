// An egress (forward) proxy as State networks run them: absolute-form requests for http, CONNECT tunnels
// for https. It records what went through it, so that a test can tell the back channel used it.
import { createServer, request as forward } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";

export interface ForwardProxy {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** A request line (`GET /path`) for each plain-http request, `CONNECT host:port` for each tunnel. */
  seen: string[];
  /** The local port of each connection the proxy opened to a tunnel's target. */
  tunnelPorts: Set<number>;
  close(): Promise<void>;
}

export async function startForwardProxy(): Promise<ForwardProxy> {
  const seen: string[] = [];
  const tunnelPorts = new Set<number>();
  const sockets: Socket[] = [];
  const proxy = createServer((req, res) => {
    seen.push(`${req.method} ${new URL(req.url ?? "").pathname}`);
    const upstream = forward(
      req.url ?? "",
      { method: req.method, headers: req.headers, agent: false },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  proxy.on("connect", (req, client: Socket) => {
    seen.push(`CONNECT ${req.url}`);
    const [host, port] = (req.url ?? "").split(":");
    const upstream = connect(Number(port), host, () => {
      if (upstream.localPort !== undefined) tunnelPorts.add(upstream.localPort);
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      client.pipe(upstream).pipe(client);
    });
    sockets.push(client, upstream);
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    seen,
    tunnelPorts,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    },
  };
}
