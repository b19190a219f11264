// The emulator behind another name (a compose service, a reverse proxy): with `publicUrl` it announces
// that name as its issuer, and an app that only knows the name signs in through it.
import { createServer, request as forward, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express, { type ErrorRequestHandler } from "express";
import session from "express-session";
import { afterEach, describe, expect, it } from "vitest";
import { proconnect, requireAuth, type ProConnectError } from "../lib/index.js";
import {
  serveTestApp,
  signIn,
  startProConnectEmulator,
  type ProConnectEmulator,
  type TestAppServer,
} from "../lib/testing/index.js";

/** A reverse proxy on its own port, to `target` once set, keeping the Host the client used. */
async function startProxy() {
  let target: URL | undefined;
  const server: Server = createServer((req, res) => {
    if (!target) {
      res.writeHead(502).end();
      return;
    }
    const upstream = forward(
      {
        host: target.hostname,
        port: target.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    to(url: string) {
      target = new URL(url);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const started: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const each of started.splice(0).reverse()) await each.close();
});

/** An app that knows ProConnect only by `issuer`, the emulator's clients registered for it. */
async function appFor(emulator: ProConnectEmulator, issuer: string): Promise<TestAppServer> {
  const app = await serveTestApp(emulator, (connection) =>
    express()
      .use(session({ secret: "public-url", resave: false, saveUninitialized: false }))
      .use(proconnect({ ...connection, issuer }))
      .get("/me", requireAuth({ api: true }), (req, res) => res.json(req.proconnectUser))
      .use(((error, _req, res, _next) => {
        const { status = 500, code } = error as ProConnectError;
        res.status(status).json({ code });
      }) satisfies ErrorRequestHandler),
  );
  started.push(app);
  return app;
}

describe("startProConnectEmulator({ publicUrl })", () => {
  it("announces publicUrl as its issuer, and an app signs in through that name", async () => {
    const proxy = await startProxy();
    started.push(proxy);
    const emulator = await startProConnectEmulator({ publicUrl: proxy.url });
    started.push(emulator);
    proxy.to(emulator.url);
    expect(emulator.issuer).toBe(`${proxy.url}/api/v2`);
    expect(emulator.url).not.toBe(proxy.url);

    const discovery = (await (
      await fetch(`${emulator.issuer}/.well-known/openid-configuration`)
    ).json()) as { issuer: string; authorization_endpoint: string; token_endpoint: string };
    expect(discovery.issuer).toBe(emulator.issuer);
    expect(discovery.authorization_endpoint.startsWith(proxy.url)).toBe(true);
    expect(discovery.token_endpoint.startsWith(proxy.url)).toBe(true);

    const app = await appFor(emulator, emulator.issuer);
    const browser = await signIn(app.url, "test@fia1.fr");
    const me = await browser.fetch(`${app.url}/me`);
    expect([me.status, ((await me.json()) as { email: string }).email]).toEqual([
      200,
      "test@fia1.fr",
    ]);
  });

  it("without it, an app that knows only the other name is refused: the issuer does not match", async () => {
    const proxy = await startProxy();
    started.push(proxy);
    const emulator = await startProConnectEmulator();
    started.push(emulator);
    proxy.to(emulator.url);
    const app = await appFor(emulator, `${proxy.url}/api/v2`);
    const login = await fetch(`${app.url}/login`, { redirect: "manual" });
    expect([login.status, ((await login.json()) as { code: string }).code]).toEqual([
      502,
      "issuer_mismatch",
    ]);
  });

  it("refuses a publicUrl with a path, naming the option", async () => {
    await expect(
      startProConnectEmulator({ publicUrl: "http://proconnect:4000/api/v2" }),
    ).rejects.toThrow(/publicUrl[^]*must be an origin|must be an origin[^]*publicUrl/);
  });
});
