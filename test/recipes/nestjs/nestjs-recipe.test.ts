// docs/nestjs.md's guard, parameter decorator and exception filter (proconnect-nest.ts) and its
// controller (profil.controller.ts), both shown there verbatim, compiled with Nest's decorator settings
// (this folder's tsconfig.json) and run against the emulator on Nest 12 (the devDependencies), and on
// Nest 11 when .ci/run gives NESTJS_DIR (vitest.config.ts).
import { Controller, Get, UseGuards } from "@nestjs/common";
import nestCore from "@nestjs/core/package.json" with { type: "json" };
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProConnectUser as User } from "proconnect-express";
import {
  signIn,
  startProConnectEmulator,
  type ProConnectEmulator,
} from "proconnect-express/testing";
import { serveNestApp } from "./app.js";
import { ProfilController } from "./profil.controller.js";
import { ProConnectGuard, ProConnectUser } from "./proconnect-nest.js";

/** Beside the docs' controller: an API route without mfa, and a route open to all. */
@Controller()
class OtherController {
  @Get("api/sub")
  @UseGuards(ProConnectGuard({ api: true }))
  sub(@ProConnectUser() user: User) {
    return { sub: user.sub };
  }

  @Get("public")
  public(@ProConnectUser() user: User | undefined) {
    return { signedIn: user !== undefined };
  }
}

let emulator: ProConnectEmulator;
let server: Awaited<ReturnType<typeof serveNestApp>>;
beforeAll(async () => {
  emulator = await startProConnectEmulator();
  server = await serveNestApp(emulator, [ProfilController, OtherController]);
});
afterAll(async () => {
  await server?.close();
  await emulator?.close();
});

describe("docs/nestjs.md's guard, @ProConnectUser() and filter", () => {
  it(`runs on the Nest this run asked for (${nestCore.version})`, () => {
    const root = process.env.NESTJS_DIR ?? ".";
    const installed = JSON.parse(
      readFileSync(`${root}/node_modules/@nestjs/core/package.json`, "utf8"),
    ) as { version: string };
    expect(nestCore.version).toBe(installed.version);
  });

  it("sends an anonymous page visit to the login, answers an API call 401, and runs neither route", async () => {
    const page = await fetch(`${server.url}/profil`, {
      headers: { accept: "text/html" },
      redirect: "manual",
    });
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe("/login?returnTo=%2Fprofil");
    const api = await fetch(`${server.url}/api/me`);
    expect(api.status).toBe(401);
    expect(((await api.json()) as { error: string }).error).toBe("unauthenticated");
  });

  it("gives the signed-in person to the route through @ProConnectUser()", async () => {
    const browser = await signIn(server.url, "test@fia1.fr");
    const profil = await browser.fetch(`${server.url}/profil`);
    expect(profil.status).toBe(200);
    expect(await profil.json()).toEqual({ email: "test@fia1.fr", siret: expect.any(String) });
    const sub = await browser.fetch(`${server.url}/api/sub`);
    expect(sub.status).toBe(200);
    expect(((await sub.json()) as { sub: string }).sub).toMatch(/./);
    // The docs' api/me asks for MFA, which this login did not do: 403, and the route does not run.
    const me = await browser.fetch(`${server.url}/api/me`);
    expect(me.status).toBe(403);
    expect(((await me.json()) as { error: string }).error).toBe("insufficient_acr");
    const open = await browser.fetch(`${server.url}/public`);
    expect(await open.json()).toEqual({ signedIn: true });
    expect(await (await fetch(`${server.url}/public`)).json()).toEqual({ signedIn: false });
  });

  it("answers a ProConnectError with its own status through the filter", async () => {
    const answer = await fetch(`${server.url}/callback?state=forged&code=x`);
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { error: string }).error).toBe("invalid_state");
  });
});
