// NestJS on Express (@nestjs/platform-express): proconnect() mounted the way Nest mounts middleware,
// consumer.apply(session(…), proconnect(…)).forRoutes(…), signs in and out whatever the route form,
// and a ProConnectError reaches the client with its own status through the exception filter.
import { Controller, Get, Req } from "@nestjs/common";
import type { Request } from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  signIn,
  startProConnectEmulator,
  type ProConnectEmulator,
} from "proconnect-express/testing";
import { serveNestApp } from "./app.js";

@Controller()
class MeController {
  @Get("me")
  me(@Req() req: Request) {
    return req.proconnectUser ?? { anonymous: true };
  }
}

let emulator: ProConnectEmulator;
beforeAll(async () => {
  emulator = await startProConnectEmulator();
});
afterAll(async () => {
  await emulator?.close();
});

describe.each(["*", "{*splat}", "/"])("NestJS, forRoutes(%j)", (route) => {
  let server: Awaited<ReturnType<typeof serveNestApp>>;
  beforeAll(async () => {
    server = await serveNestApp(emulator, [MeController], route);
  });
  afterAll(async () => {
    await server?.close();
  });
  it("signs in, shows the user to a controller, and signs out", async () => {
    const browser = await signIn(server.url, "test@fia1.fr");
    const me = await browser.fetch(`${server.url}/me`);
    expect([me.status, ((await me.json()) as { email?: string }).email]).toEqual([
      200,
      "test@fia1.fr",
    ]);
    // The sign-out form, then ProConnect's logout page and the way back to /logout/callback.
    const out = await browser.navigate(`${server.url}/logout`, { method: "POST" });
    // postLogoutRedirect, "/": this Nest app has no home page, hence Nest's own 404 there.
    expect([out.url.origin, out.url.pathname]).toEqual([server.url, "/"]);
    const after = await browser.fetch(`${server.url}/me`);
    expect(await after.json()).toEqual({ anonymous: true });
  });

  it("answers a ProConnectError with its own status through the exception filter", async () => {
    const answer = await fetch(`${server.url}/callback?state=forged&code=x`);
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { error: string }).error).toBe("invalid_state");
  });
});

@Controller("auth")
class AuthController {
  @Get("me")
  me(@Req() req: Request) {
    return req.proconnectUser ?? { anonymous: true };
  }
}

// The routes under the controller's path, where forRoutes("auth") mounts proconnect().
const AUTH_ROUTES = {
  login: "/auth/login",
  callback: "/auth/callback",
  logout: "/auth/logout",
  logoutCallback: "/auth/logout/callback",
};

describe('NestJS, forRoutes("auth"): a controller path that holds the routes', () => {
  let server: Awaited<ReturnType<typeof serveNestApp>>;
  beforeAll(async () => {
    server = await serveNestApp(emulator, [AuthController], "auth", AUTH_ROUTES);
  });
  afterAll(async () => {
    await server?.close();
  });

  it("signs in, shows the user to the controller, and signs out", async () => {
    const browser = await signIn(server.url, "test@fia1.fr", { loginPath: "/auth/login" });
    const me = await browser.fetch(`${server.url}/auth/me`);
    expect([me.status, ((await me.json()) as { email?: string }).email]).toEqual([
      200,
      "test@fia1.fr",
    ]);
    const out = await browser.navigate(`${server.url}/auth/logout`, { method: "POST" });
    expect([out.url.origin, out.url.pathname]).toEqual([server.url, "/"]);
    const after = await browser.fetch(`${server.url}/auth/me`);
    expect(await after.json()).toEqual({ anonymous: true });
  });
});

describe("NestJS, forRoutes(AuthController): a controller's routes only", () => {
  let server: Awaited<ReturnType<typeof serveNestApp>>;
  beforeAll(async () => {
    server = await serveNestApp(emulator, [AuthController], AuthController, AUTH_ROUTES);
  });
  afterAll(async () => {
    await server?.close();
  });

  it("answers not_configured naming the fix, rather than leaving the login to Nest's 404", async () => {
    const answer = await fetch(`${server.url}/auth/me`);
    const body = (await answer.json()) as { error: string; message: string };
    expect([answer.status, body.error]).toEqual([500, "not_configured"]);
    expect(body.message).toContain('runs as a handler of the route "/auth/me" only');
    expect(body.message).toContain('forRoutes("*")');
  });
});
