// The back channel over TLS, as ProConnect always is: the certificate verified against Node's trusted
// authorities (NODE_EXTRA_CA_CERTS included), an untrusted one refused, one connection kept alive for
// the token and userinfo requests of later logins; through an egress proxy with the agent an app sets
// as https.globalAgent (Node.js 20's way: it has no NODE_USE_ENV_PROXY, back-channel-proxy.test.ts).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request as forward } from "node:http";
import { createServer as createHttpsServer, type Server } from "node:https";
import express from "express";
import session from "express-session";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { proconnect, type ProConnectError } from "../lib/index.js";
import { startProConnectEmulator, type ProConnectEmulator } from "../lib/testing/index.js";
import { CLIENT_SECRET, testClient } from "./helpers/emulator.js";
import { runBackChannelLogins } from "./helpers/back-channel-login.js";
import { startForwardProxy, type ForwardProxy } from "./helpers/forward-proxy.js";
import { freePort } from "./helpers/net.js";

let dir: string;
let emulator: ProConnectEmulator;
let tls: Server;
let proxy: ForwardProxy;
const connections: Socket[] = [];
// The paths asked over each connection.
const requested = new Map<Socket, string[]>();
// Where each came from (a closed socket no longer says): a tunnel the proxy opened, or not.
const peerPort = new Map<Socket, number | undefined>();
let issuer: string;
let appPort: number;

/** A certificate for localhost, from an authority of its own that Node does not trust by default. */
function certificate(): { key: Buffer; cert: Buffer } {
  const openssl = (command: string) =>
    execFileSync("openssl", command.split(" "), { cwd: dir, stdio: "pipe" });
  const ecKey = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
  openssl(`req -x509 ${ecKey} -keyout ca.key -out ca.pem -days 1 -subj /CN=test-authority`);
  openssl(`req ${ecKey} -keyout key.pem -out req.pem -subj /CN=localhost`);
  // The server certificate names localhost, as Node checks it.
  writeFileSync(join(dir, "ext.cnf"), "subjectAltName=DNS:localhost\n");
  openssl(
    "x509 -req -in req.pem -CA ca.pem -CAkey ca.key -CAcreateserial -out cert.pem -days 1 -extfile ext.cnf",
  );
  return { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "proconnect-tls-"));
  const { key, cert } = certificate();
  const port = await freePort();
  appPort = await freePort();
  issuer = `https://localhost:${port}/api/v2`;
  emulator = await startProConnectEmulator({
    publicUrl: `https://localhost:${port}`,
    clients: [testClient({ redirectUris: [`http://127.0.0.1:${appPort}/callback`] })],
  });
  // HTTPS in front of the emulator, as ProConnect's own front does, saying so to it.
  tls = createHttpsServer({ key, cert }, (req, res) => {
    const paths = requested.get(req.socket) ?? [];
    if (!peerPort.has(req.socket)) peerPort.set(req.socket, req.socket.remotePort);
    requested.set(req.socket, [...paths, new URL(req.url ?? "/", "https://localhost").pathname]);
    const upstream = forward(
      `${emulator.url}${req.url}`,
      { method: req.method, headers: { ...req.headers, "x-forwarded-proto": "https" } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  // Every TCP connection, the refused handshakes too.
  tls.on("connection", (socket: Socket) => connections.push(socket));
  await new Promise<void>((resolve) => tls.listen(port, "127.0.0.1", resolve));
  proxy = await startForwardProxy();
});

afterAll(async () => {
  await proxy?.close();
  for (const socket of connections) socket.destroy();
  await new Promise((resolve) => tls?.close(resolve));
  await emulator?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the back channel over TLS", () => {
  it("signs in against a ProConnect whose certificate an authority of NODE_EXTRA_CA_CERTS signed", async () => {
    const result = await runBackChannelLogins(issuer, appPort, {
      NODE_EXTRA_CA_CERTS: join(dir, "ca.pem"),
    });
    expect(result.emails).toEqual(["test@fia1.fr", "test@fia1.fr"]);
    // Discovery and JWKS once, then each login's token and userinfo.
    expect(result.requests).toEqual([
      "discovery 200",
      "token 200",
      "jwks 200",
      "userinfo 200",
      "token 200",
      "userinfo 200",
    ]);
    // Kept alive: the six back-channel requests went over one or two connections, not six.
    const backChannel = [...requested.values()].filter((paths) =>
      paths.some((path) => /\/(token|userinfo|jwks)$|openid-configuration$/.test(path)),
    );
    expect(backChannel.flat()).toHaveLength(6);
    expect(backChannel.length).toBeLessThanOrEqual(2);
  }, 60_000);

  it("goes through an egress proxy with docs/production.md's agent for Node.js 20 (https.globalAgent)", async () => {
    const before = new Set(requested.keys());
    const result = await runBackChannelLogins(issuer, appPort, {
      NODE_EXTRA_CA_CERTS: join(dir, "ca.pem"),
      PROXY_AGENT_RECIPE: "1",
      HTTPS_PROXY: proxy.url,
    });
    expect(result.emails).toEqual(["test@fia1.fr", "test@fia1.fr"]);
    expect(proxy.seen.length).toBeGreaterThan(0);
    expect(new Set(proxy.seen)).toEqual(new Set([`CONNECT ${new URL(issuer).host}`]));
    // Each back-channel request reached ProConnect over a tunnel the proxy opened; the person's browser
    // (the test's, on fetch) went straight.
    const isBackChannel = (path: string) =>
      /\/(token|userinfo|jwks)$|openid-configuration$/.test(path);
    const sockets = [...requested.entries()].filter(([socket]) => !before.has(socket));
    const tunnelled = sockets.filter(([socket]) =>
      proxy.tunnelPorts.has(peerPort.get(socket) ?? 0),
    );
    expect(tunnelled.flatMap(([, paths]) => paths).filter(isBackChannel)).toHaveLength(6);
    const direct = sockets.filter(([socket]) => !proxy.tunnelPorts.has(peerPort.get(socket) ?? 0));
    expect(direct.flatMap(([, paths]) => paths).filter(isBackChannel)).toEqual([]);
  }, 60_000);

  it("refuses a certificate no trusted authority signed: 503 provider_unavailable naming the cause", async () => {
    const client = testClient();
    const app = express()
      .use(session({ secret: "tls", resave: false, saveUninitialized: false }))
      .use(
        proconnect({
          clientId: client.clientId,
          clientSecret: CLIENT_SECRET,
          baseUrl: `http://127.0.0.1:${appPort}`,
          issuer,
        }),
      )
      .use(((error: ProConnectError, _req, res, _next) => {
        res.status(error.status).json({ code: error.code, message: error.message });
      }) satisfies express.ErrorRequestHandler);
    const before = connections.length;
    const login = await request(app).get("/login");
    expect([login.status, (login.body as { code: string }).code]).toEqual([
      503,
      "provider_unavailable",
    ]);
    expect((login.body as { message: string }).message).toMatch(
      /UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to verify/i,
    );
    // The TLS handshake was made and refused: no request went through it.
    expect(connections.length).toBeGreaterThan(before);
  });
});
