// Sessions on PostgreSQL (docs/session-store.md's recipe, test/recipes/postgres-store.ts): a real
// PostgreSQL (DATABASE_URL; .ci/run starts one), connect-pg-simple and pg, reached through a TCP proxy
// the test can cut, as a stopped server or a partition would. A session survives the app's restart, an
// outage answers 503 within the bound and never ends the process, and the app recovers on its own.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { signIn, TestBrowser, type ProConnectEmulator } from "../lib/testing/index.js";
import { startTestApp, type TestApp } from "./helpers/app.js";
import { startTestEmulator } from "./helpers/emulator.js";
import { TcpProxy } from "./helpers/net.js";
import { postgresForTests, uniqueTable } from "./helpers/postgres.js";
import { postgresSessionStore } from "./recipes/postgres-store.js";

const JSON_ACCEPT = { headers: { accept: "application/json" } };
const postgres = postgresForTests("the PostgreSQL session store tests");

/** A TCP proxy to PostgreSQL: `sever()` ends every connection and refuses new ones until `restore()`. */
class CuttableProxy {
  cut = false;
  readonly #proxy: TcpProxy;
  constructor(target: { host: string; port: number }) {
    this.#proxy = new TcpProxy(target, { accept: () => !this.cut });
  }
  listen(): Promise<number> {
    return this.#proxy.listen();
  }
  sever(): void {
    this.cut = true;
    this.#proxy.severAll();
  }
  restore(): void {
    this.cut = false;
  }
  close(): Promise<void> {
    this.cut = true;
    return this.#proxy.close();
  }
}

describe.runIf(postgres.run)("sessions on PostgreSQL (connect-pg-simple)", () => {
  let emulator: ProConnectEmulator;
  let proxy: CuttableProxy;
  let url: string;
  const table = uniqueTable("proconnect_test_session");
  const closing: (() => Promise<void>)[] = [];

  /** An app on the recipe's store, through the proxy. */
  async function appOnPostgres(): Promise<{
    app: TestApp;
    pool: pg.Pool;
    stop: () => Promise<void>;
  }> {
    const { store, pool, close } = postgresSessionStore(url, table);
    const app = await startTestApp(emulator, { store });
    const stop = async () => {
      await app.close();
      await close();
    };
    closing.push(stop);
    return { app, pool, stop };
  }

  beforeAll(async () => {
    emulator = await startTestEmulator();
    const target = new URL(postgres.url());
    proxy = new CuttableProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const port = await proxy.listen();
    target.host = `127.0.0.1:${port}`;
    url = target.href;
  });
  afterAll(async () => {
    // Stopped twice at most (a test may have stopped its own): the second time rejects, and is ignored.
    for (const stop of closing.reverse()) await stop().catch(() => undefined);
    await proxy?.close();
    const admin = new pg.Client({ connectionString: postgres.url() });
    await admin.connect();
    await admin.query(`DROP TABLE IF EXISTS "${table}"`);
    await admin.end();
    await emulator?.close();
  });

  it("signs in, and the session outlives a restart of the app (a new pool, the same table)", async () => {
    const first = await appOnPostgres();
    const browser = await signIn(first.app.url, "test@fia1.fr");
    expect((await browser.fetch(`${first.app.url}/me`, JSON_ACCEPT)).status).toBe(200);
    await first.stop();

    const second = await appOnPostgres();
    // Cookies belong to the host, not the port: the browser sends the same session cookie.
    const me = await browser.fetch(`${second.app.url}/me`, {
      headers: { accept: "application/json" },
    });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { email: string }).email).toBe("test@fia1.fr");
  });

  it("answers 503 session_store_unavailable while PostgreSQL is out of reach, without ending the process, then recovers", async () => {
    const { app, pool } = await appOnPostgres();
    // The recipe's handler logs with console.error; without a handler, the "error" would end the process.
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const poolErrors = () =>
      logged.mock.calls.filter(([message]) =>
        String(message).startsWith("PostgreSQL session pool:"),
      ).length;
    const browser = await signIn(app.url, "test@fia1.fr");
    expect((await browser.fetch(`${app.url}/me`, JSON_ACCEPT)).status).toBe(200);

    // Once the pool's connections are back in it, idle (express-session's touch may still run).
    await expect.poll(() => pool.idleCount, { timeout: 5000 }).toBeGreaterThan(0);
    proxy.sever();
    // The pool's idle connections broke: an "error" on the pool, which the recipe's handler takes.
    await expect.poll(poolErrors, { timeout: 5000 }).toBeGreaterThan(0);
    const started = Date.now();
    for (const path of ["/me", "/login"]) {
      const answer = await browser.fetch(`${app.url}${path}`, {
        headers: { accept: "application/json" },
      });
      expect(answer.status).toBe(503);
      expect(((await answer.json()) as { code: string }).code).toBe("session_store_unavailable");
    }
    expect(Date.now() - started).toBeLessThan(2 * 3000 + 2000);
    // A new visitor's login fails the same way, and nothing is half-written.
    const stranger = await new TestBrowser().fetch(`${app.url}/me`, {
      headers: { accept: "application/json" },
    });
    expect([401, 503]).toContain(stranger.status);

    proxy.restore();
    await expect
      .poll(async () => (await browser.fetch(`${app.url}/me`, JSON_ACCEPT)).status, {
        timeout: 10_000,
      })
      .toBe(200);
    logged.mockRestore();
  });
});
