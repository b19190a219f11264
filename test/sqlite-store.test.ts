// Sessions in a SQLite file on one machine (docs/session-store.md's recipe, test/recipes/sqlite-store.ts),
// on Node.js's own node:sqlite: a signed-in session outlives a restart of the app, a sign-out leaves
// nothing of the person in the file, and an expired session is neither read nor kept.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signIn, type ProConnectEmulator } from "../lib/testing/index.js";
import { startTestApp, type TestApp } from "./helpers/app.js";
import { startTestEmulator } from "./helpers/emulator.js";
// Types only (erased): the module itself is imported once node:sqlite is known to be there.
import type * as RecipeModule from "./recipes/sqlite-store.js";

const JSON_ACCEPT = { headers: { accept: "application/json" } };
// node:sqlite is in Node.js 22.13 and later; CI runs this file on 22, 24 and 26.
const sqlite = await import("node:sqlite").then(
  () => true,
  () => false,
);
if (!sqlite)
  console.warn(`Skipping the SQLite session store tests: ${process.version} has no node:sqlite.`);
type Recipe = typeof RecipeModule;

describe.runIf(sqlite)("sessions in a SQLite file (node:sqlite)", () => {
  let emulator: ProConnectEmulator;
  let recipe: Recipe;
  let dir: string;
  const closing: (() => Promise<void>)[] = [];

  /** An app on the recipe's store, in `file`. */
  async function appOnSqlite(file: string, sweepSeconds?: number) {
    const store = new recipe.SqliteSessionStore(file, { sweepSeconds });
    const app: TestApp = await startTestApp(emulator, { store });
    const stop = async () => {
      await app.close();
      store.close();
    };
    closing.push(stop);
    return { app, store, stop };
  }

  /** What the file holds, read apart from the app. */
  async function rows(file: string): Promise<{ sid: string; data: string; expires: number }[]> {
    const { DatabaseSync } = await import("node:sqlite");
    const db = new DatabaseSync(file);
    try {
      return db.prepare("SELECT sid, data, expires FROM sessions").all() as {
        sid: string;
        data: string;
        expires: number;
      }[];
    } finally {
      db.close();
    }
  }

  beforeAll(async () => {
    [emulator, recipe, dir] = await Promise.all([
      startTestEmulator(),
      import("./recipes/sqlite-store.js"),
      mkdtemp(join(tmpdir(), "proconnect-sqlite-")),
    ]);
  });
  afterAll(async () => {
    for (const stop of closing.reverse()) await stop().catch(() => undefined);
    await emulator?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("signs in, and the session outlives a restart of the app (a new store on the same file)", async () => {
    const file = join(dir, "restart.db");
    const first = await appOnSqlite(file);
    const browser = await signIn(first.app.url, "test@fia1.fr");
    expect((await browser.fetch(`${first.app.url}/me`, JSON_ACCEPT)).status).toBe(200);
    await first.stop();

    const second = await appOnSqlite(file);
    // Cookies belong to the host, not the port: the browser sends the same session cookie.
    const me = await browser.fetch(`${second.app.url}/me`, JSON_ACCEPT);
    expect(me.status).toBe(200);
    expect(((await me.json()) as { email: string }).email).toBe("test@fia1.fr");
  });

  it("signs out: nothing of the person is left in the file", async () => {
    const file = join(dir, "logout.db");
    const { app } = await appOnSqlite(file);
    const browser = await signIn(app.url, "test@fia1.fr");
    expect((await rows(file)).some((row) => row.data.includes("test@fia1.fr"))).toBe(true);
    await browser.navigate(`${app.url}/logout`, { method: "POST" });
    expect((await browser.fetch(`${app.url}/me`, JSON_ACCEPT)).status).toBe(401);
    expect((await rows(file)).filter((row) => row.data.includes("test@fia1.fr"))).toEqual([]);
  });

  it("never reads an expired session, and sweeps it from the file", async () => {
    const file = join(dir, "expired.db");
    const { store } = await appOnSqlite(file, 1);
    const past = new Date(Date.now() - 1000);
    const data = { cookie: { originalMaxAge: 1, expires: past, path: "/" } };
    await new Promise<void>((resolve, reject) =>
      store.set("gone", data as never, (error) => (error ? reject(error) : resolve())),
    );
    const read = await new Promise((resolve, reject) =>
      store.get("gone", (error, found) => (error ? reject(error) : resolve(found))),
    );
    expect(read).toBeNull();
    await expect.poll(async () => (await rows(file)).length, { timeout: 5000 }).toBe(0);
  });
});
