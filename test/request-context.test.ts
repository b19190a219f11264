// req.proconnectUser and req.proconnectToken are set on each request by the library's middleware,
// whatever copy of Express made the request, and nothing is installed on a prototype shared by other code.
import { IncomingMessage } from "node:http";
import express from "express";
import express4 from "express4";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { proconnect, requireAuth, requireBearer, type ProConnectUser } from "../lib/index.js";
import { TestBrowser, type ProConnectEmulator } from "../lib/testing/index.js";
import { startTestApp, type TestApp } from "./helpers/app.js";
import {
  CLIENT_SECRET,
  discover,
  registerResourceServer,
  signIn,
  startTestEmulator,
  testClient,
} from "./helpers/emulator.js";

const NAMES = ["proconnectUser", "proconnectToken"] as const;
const FAKE: ProConnectUser = {
  sub: "forged",
  idp_id: "x",
  siret: "13002526500013",
  siren: "130025265",
};

let emulator: ProConnectEmulator;
const apps: TestApp[] = [];

beforeAll(async () => {
  emulator = await startTestEmulator({ clients: [testClient()] });
  registerResourceServer(emulator, "rs-context");
});
afterAll(async () => {
  for (const app of apps) await app.close();
  await emulator?.close();
});

/** A test app on `factory`, with a route behind requireBearer() and one that reads what a request has. */
async function appOn(factory: typeof express): Promise<TestApp> {
  const bearer = requireBearer({
    clientId: "rs-context",
    clientSecret: CLIENT_SECRET,
    issuer: emulator.issuer,
    allowedClients: ["test-app"],
  });
  const app = await startTestApp(emulator, {
    express: factory,
    routes: (routes) => {
      routes.get("/api/token", bearer, (req, res) => res.json(req.proconnectToken ?? null));
      // Assigned by the app before requireAuth(): never taken for a signed-in user.
      routes.get(
        "/forged",
        (req, _res, next) => {
          req.proconnectUser = FAKE;
          next();
        },
        requireAuth({ api: true }),
        (req, res) => res.json(req.proconnectUser),
      );
    },
  });
  apps.push(app);
  return app;
}

/** A plain app of `factory` with none of the library's middleware: what its requests carry. */
function bareApp(factory: typeof express) {
  const app = factory();
  app.get("/", (req, res) => res.json(NAMES.map((name) => name in req)));
  return app;
}

describe.each([
  ["Express 5", express],
  ["Express 4", express4],
])("%s, in a process that has both", (_name, factory) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await appOn(factory);
  });

  it("sets req.proconnectUser behind proconnect() and requireAuth() after a real login", async () => {
    const browser = new TestBrowser();
    const me = await browser.navigate(`${app.url}/me`, { email: "test@fia1.fr" });
    expect([me.status, JSON.parse(me.body).email]).toEqual([200, "test@fia1.fr"]);
    const home = await browser.navigate(`${app.url}/`);
    expect(JSON.parse(home.body).user).toMatchObject({ email: "test@fia1.fr" });
    const sub = await browser.navigate(`${app.url}/sub/me`);
    expect([sub.status, JSON.parse(sub.body).email]).toEqual([200, "test@fia1.fr"]);
  });

  it("sets req.proconnectToken behind requireBearer()", async () => {
    const { access_token: token } = (await signIn(await discover(emulator), "test@fia1.fr")).tokens;
    const answer = await request(app.url).get("/api/token").set("Authorization", `Bearer ${token}`);
    expect([answer.status, answer.body.client_id]).toEqual([200, "test-app"]);
  });

  it("never takes a req.proconnectUser the app assigned for a signed-in user", async () => {
    const answer = await request(app.url).get("/forged");
    expect([answer.status, answer.body.error]).toEqual([401, "unauthenticated"]);
  });

  it("leaves an app that mounts none of the middleware without either property", async () => {
    const answer = await request(bareApp(factory)).get("/");
    expect(answer.body).toEqual([false, false]);
  });
});

describe("shared prototypes", () => {
  it("have no own proconnectUser or proconnectToken once proconnect() and requireBearer() exist", async () => {
    await appOn(express);
    await appOn(express4);
    proconnect({ clientId: "c", clientSecret: "s", baseUrl: "https://a.gouv.fr", name: "other" });
    for (const prototype of [express.request, express4.request, IncomingMessage.prototype]) {
      for (const name of NAMES) expect(Object.hasOwn(prototype, name)).toBe(false);
    }
  });
});
