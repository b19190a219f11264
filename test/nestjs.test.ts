// NestJS on Express (@nestjs/platform-express): proconnect() mounted the way Nest mounts middleware,
// consumer.apply(session(…), proconnect(…)).forRoutes(…), signs in and out whatever the route form,
// and a ProConnectError reaches the client with its own status through an exception filter. Nest's
// decorators are applied as functions here (no decorator syntax in this project's TypeScript).
import "reflect-metadata";
import {
  Catch,
  Controller,
  Get,
  Module,
  Req,
  type ArgumentsHost,
  type ExceptionFilter,
  type MiddlewareConsumer,
} from "@nestjs/common";
import { NestFactory } from "@nestjs/core";
import type { Request, Response } from "express";
import session from "express-session";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { proconnect, ProConnectError } from "../lib/index.js";
import {
  serveTestApp,
  signIn,
  startProConnectEmulator,
  type EmulatorConnection,
  type ProConnectEmulator,
  type TestAppServer,
} from "../lib/testing/index.js";

/** The exception filter a Nest app needs: each ProConnectError answered with its own status. */
class ProConnectFilter implements ExceptionFilter {
  catch(error: ProConnectError, host: ArgumentsHost) {
    const res = host.switchToHttp().getResponse<Response>();
    res.status(error.status).json({ error: error.code, message: error.message });
  }
}
Catch(ProConnectError)(ProConnectFilter);

class MeController {
  me(req: Request) {
    return req.proconnectUser ?? { anonymous: true };
  }
}
Get("me")(
  MeController.prototype,
  "me",
  Object.getOwnPropertyDescriptor(MeController.prototype, "me")!,
);
Req()(MeController.prototype, "me", 0);
Controller()(MeController);

/** A Nest app whose AppModule mounts session() and proconnect() with forRoutes(route). */
async function nestApp(connection: EmulatorConnection, route: string) {
  class AppModule {
    configure(consumer: MiddlewareConsumer) {
      consumer
        .apply(
          session({ secret: "nest-test-secret", resave: false, saveUninitialized: false }),
          proconnect(connection),
        )
        .forRoutes(route);
    }
  }
  Module({ controllers: [MeController] })(AppModule);
  const app = await NestFactory.create(AppModule, { logger: false });
  app.useGlobalFilters(new ProConnectFilter());
  await app.init();
  return app;
}

let emulator: ProConnectEmulator;
beforeAll(async () => {
  emulator = await startProConnectEmulator();
});
afterAll(async () => {
  await emulator?.close();
});

describe.each(["*", "{*splat}", "/"])("NestJS, forRoutes(%j)", (route) => {
  let server: TestAppServer;
  let close: () => Promise<void>;
  beforeAll(async () => {
    server = await serveTestApp(emulator, async (connection) => {
      const app = await nestApp(connection, route);
      close = () => app.close();
      return app.getHttpAdapter().getInstance();
    });
  });
  afterAll(async () => {
    await server?.close();
    await close?.();
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
