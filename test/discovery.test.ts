import { createServer, type Server, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { startProConnectEmulator, TestBrowser } from "../lib/testing/index.js";
import { errorOf, startTestApp } from "./helpers/app.js";
import { registerApp, startTestEmulator } from "./helpers/emulator.js";
import { freePort } from "./helpers/net.js";

const BACK_CHANNEL = ["/.well-known/openid-configuration", "/jwks", "/token", "/userinfo"].map(
  (path) => `/api/v2${path}`,
);

function backChannel(counts: Record<string, number>): number[] {
  return BACK_CHANNEL.map((path) => counts[path] ?? 0);
}

describe("discovery and the back channel", () => {
  it("answers 503 while ProConnect is down at start, then works once it is back (no failure cached)", async () => {
    const port = await freePort();
    const app = await startTestApp(undefined, {
      options: { issuer: `http://127.0.0.1:${port}/api/v2` },
    });
    try {
      const down = await new TestBrowser().navigate(`${app.url}/login`);
      expect([down.status, errorOf(down).code]).toEqual([503, "provider_unavailable"]);
      // Routes that do not need ProConnect keep answering.
      expect((await new TestBrowser().navigate(`${app.url}/`)).status).toBe(200);

      const emulator = await startProConnectEmulator({ strict: true, port });
      try {
        registerApp(emulator, app.clientId, app.url);
        const page = await new TestBrowser().navigate(`${app.url}/login?returnTo=/me`, {
          email: "test@fia1.fr",
        });
        expect(JSON.parse(page.body)).toMatchObject({ siret: "13002526500013" });
      } finally {
        await emulator.close();
      }
    } finally {
      await app.close();
    }
  });

  it("answers 503 when discovery hangs, after httpTimeout", async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => sockets.add(socket)); // accepts, never answers
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as { port: number };
    const app = await startTestApp(undefined, {
      options: { issuer: `http://127.0.0.1:${port}/api/v2`, httpTimeout: 300 },
    });
    try {
      const page = await new TestBrowser().navigate(`${app.url}/login`);
      expect([page.status, errorOf(page).code]).toEqual([503, "provider_unavailable"]);
      expect(errorOf(page).message).toMatch(/no answer in time[\s\S]*RIE/);
    } finally {
      await app.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it("refuses a provider whose discovery announces another issuer (issuer_mismatch)", async () => {
    const emulator = await startTestEmulator();
    // Same server, other spelling: its discovery says 127.0.0.1, not localhost.
    const app = await startTestApp(emulator, {
      options: { issuer: emulator.issuer.replace("127.0.0.1", "localhost") },
    });
    try {
      const page = await new TestBrowser().navigate(`${app.url}/login`);
      expect([page.status, errorOf(page).code]).toEqual([502, "issuer_mismatch"]);
    } finally {
      await app.close();
      await emulator.close();
    }
  });

  it("discovers once for concurrent first requests, then a login costs exactly the token and userinfo calls", async () => {
    const emulator = await startTestEmulator();
    const app = await startTestApp(emulator);
    try {
      const before = backChannel(emulator.requestCounts());
      const pages = await Promise.all(
        Array.from({ length: 5 }, () =>
          new TestBrowser().navigate(`${app.url}/login`, {
            stopAt: (url) => url.origin === emulator.url,
          }),
        ),
      );
      expect(pages.every((page) => page.status === 303)).toBe(true);
      expect(backChannel(emulator.requestCounts())).toEqual([before[0]! + 1, 0, 0, 0]);

      // Warm-up login: fetches the JWKS once.
      await new TestBrowser().navigate(`${app.url}/login?returnTo=/me`, { email: "test@fia1.fr" });
      const warm = backChannel(emulator.requestCounts());
      expect(warm).toEqual([1, 1, 1, 1]);
      for (let i = 0; i < 3; i++) {
        const page = await new TestBrowser().navigate(`${app.url}/login?returnTo=/me`, {
          email: "jean.martin@fia2.fr",
        });
        expect(page.url.pathname).toBe("/me");
      }
      // Three more logins: three token and three userinfo calls, nothing else.
      expect(backChannel(emulator.requestCounts())).toEqual([1, 1, 4, 4]);
    } finally {
      await app.close();
      await emulator.close();
    }
  });
});
