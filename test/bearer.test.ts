// requireBearer(): an API as a ProConnect resource server, against the emulator's introspection and
// revocation endpoints, and against a fake ProConnect of the test's own for what the emulator does not
// do on purpose (down, slow, garbage, forged signed answers).
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import express from "express";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from "jose";
import type * as client from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  getProConnectToken,
  ProConnectError,
  requireBearer,
  type RequireBearerOptions,
} from "../lib/index.js";
import { startProConnectEmulator, type ProConnectEmulator } from "../lib/testing/index.js";
import {
  CLIENT_SECRET,
  discover,
  registerResourceServer,
  signIn,
  testClient,
} from "./helpers/emulator.js";
import { responseTimeout } from "./helpers/app.js";
import { freePort, listen } from "./helpers/net.js";
import { until } from "./helpers/token-app.js";

const INTROSPECTION = "/api/v2/token/introspection";
const EMAIL = "test@fia1.fr";

interface Api {
  url: string;
  bearer: ReturnType<typeof requireBearer>;
  warnings: string[];
  close(): Promise<void>;
}

/** An API behind requireBearer(): /me (any valid token), /write (scope "write"), /open (none). */
async function startApi(options: RequireBearerOptions): Promise<Api> {
  const warnings: string[] = [];
  const bearer = requireBearer({
    logger: { warn: (_details, message) => warnings.push(message) },
    ...options,
  });
  const app = express();
  app.get("/me", bearer, (req, res) => {
    res.json({ ...req.proconnectToken, same: getProConnectToken(req) === req.proconnectToken });
  });
  app.get("/write", bearer.withScopes(["write"]), (_req, res) => {
    res.json({ written: true });
  });
  app.get("/open", (req, res) => {
    res.json({ token: req.proconnectToken ?? null });
  });
  return { ...(await listen(createServer(app))), bearer, warnings };
}

/**
 * `api(options)` for a describe block's tests: an API over `defaults(options)` and `options`, closed
 * after the block.
 */
function useApis(defaults: (options: Partial<RequireBearerOptions>) => RequireBearerOptions) {
  const apis: Api[] = [];
  afterAll(async () => {
    for (const each of apis) await each.close();
  });
  return async (options: Partial<RequireBearerOptions> = {}) => {
    const started = await startApi({ ...defaults(options), ...options });
    apis.push(started);
    return started;
  };
}

async function call(api: Api, token: string | undefined, path = "/me", header?: string) {
  const headers: Record<string, string> = {};
  if (header !== undefined) headers.authorization = header;
  else if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const started = Date.now();
  const answer = await fetch(`${api.url}${path}`, { headers });
  const body = (await answer.json()) as Record<string, unknown>;
  return {
    status: answer.status,
    retryAfter: answer.headers.get("retry-after"),
    challenge: answer.headers.get("www-authenticate"),
    body,
    ms: Date.now() - started,
  };
}

const introspections = (emulator: ProConnectEmulator) =>
  emulator.requestCounts()[INTROSPECTION] ?? 0;

describe("requireBearer() against the emulator", () => {
  let emulator: ProConnectEmulator;
  let config: client.Configuration;
  const api = useApis((options) => ({
    clientId: "rs-plain",
    clientSecret: CLIENT_SECRET,
    issuer: emulator.issuer,
    ...(options.allowAnyClient ? {} : { allowedClients: ["test-app"] }),
  }));
  /** A fresh access token of the service provider "test-app" for EMAIL, and its refresh token. */
  const tokens = async () => (await signIn(config, EMAIL)).tokens;

  beforeAll(async () => {
    emulator = await startProConnectEmulator({ strict: true, clients: [testClient()] });
    const resourceServer = (clientId: string, alg?: "RS256" | "ES256" | "HS256") =>
      registerResourceServer(
        emulator,
        clientId,
        alg ? { introspectionSignedResponseAlg: alg } : {},
      );
    resourceServer("rs-plain");
    resourceServer("rs-rs256", "RS256");
    resourceServer("rs-es256", "ES256");
    resourceServer("rs-hs256", "HS256");
    config = await discover(emulator);
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it("lets a valid token through with what ProConnect says of it", async () => {
    const resource = await api();
    const { access_token: token, claims } = await tokens();
    const answer = await call(resource, token);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      sub: claims()!.sub,
      client_id: "test-app",
      token_type: "Bearer",
      iss: emulator.issuer,
      signed: false,
      same: true,
    });
    expect(answer.body.scopes).toContain("siret");
    expect(answer.body.exp).toBeGreaterThan(Date.now() / 1000);
    // Nothing on a route without the middleware.
    expect((await call(resource, token, "/open")).body).toEqual({ token: null });
  });

  for (const alg of ["RS256", "ES256", "HS256"] as const) {
    it(`verifies ${alg}-signed introspection answers`, async () => {
      const resource = await api({
        clientId: `rs-${alg.toLowerCase()}`,
        introspectionSignedResponseAlg: alg,
      });
      const { access_token: token } = await tokens();
      const answer = await call(resource, token);
      expect([answer.status, answer.body.signed, answer.body.client_id]).toEqual([
        200,
        true,
        "test-app",
      ]);
    });
  }

  it("answers 401 with WWW-Authenticate: Bearer and no error without a token", async () => {
    const resource = await api();
    for (const header of [undefined, "Basic dXNlcjpwYXNz"]) {
      const answer = await call(resource, undefined, "/me", header);
      expect([answer.status, answer.challenge, answer.body.error]).toEqual([
        401,
        "Bearer",
        "unauthenticated",
      ]);
    }
  });

  it("refuses malformed tokens without asking ProConnect", async () => {
    const resource = await api();
    const before = introspections(emulator);
    for (const header of ["Bearer", "Bearer a b", "Bearer é", `Bearer ${"a".repeat(5000)}`]) {
      const answer = await call(resource, undefined, "/me", header);
      expect([answer.status, answer.body.error], header.slice(0, 20)).toEqual([
        401,
        "invalid_token",
      ]);
      expect(answer.challenge).toMatch(/^Bearer error="invalid_token", error_description="/);
    }
    expect(introspections(emulator)).toBe(before);
  });

  it("refuses an unknown token, and remembers it for negativeTtl", async () => {
    const resource = await api({ cache: { negativeTtl: 1 } });
    const before = introspections(emulator);
    const unknown = "unknown-token-of-43-characters-xxxxxxxxxxxxx";
    const first = await call(resource, unknown);
    expect([first.status, first.body.error]).toEqual([401, "invalid_token"]);
    expect(first.challenge).toMatch(/error="invalid_token"/);
    await call(resource, unknown);
    expect(introspections(emulator)).toBe(before + 1);
    await sleep(1100);
    await call(resource, unknown);
    expect(introspections(emulator)).toBe(before + 2);
  });

  it("refuses a refresh token presented as a Bearer token", async () => {
    const resource = await api();
    const { refresh_token: refreshToken } = await tokens();
    const answer = await call(resource, refreshToken);
    expect([answer.status, answer.body.error]).toEqual([401, "invalid_token"]);
    expect(answer.body.message).toMatch(/not an access token/);
  });

  it("answers an id_token or another JWT as a Bearer token 401 invalid_token, not an outage, and remembers it", async () => {
    const resource = await api();
    const { id_token: idToken } = await tokens();
    const [header, payload] = idToken!.split(".");
    for (const jwt of [idToken!, `${header}.${payload}.c2lnbmF0dXJl`]) {
      const before = introspections(emulator);
      const answer = await call(resource, jwt);
      expect([answer.status, answer.body.error]).toEqual([401, "invalid_token"]);
      expect(answer.challenge).toMatch(/^Bearer error="invalid_token"/);
      // Refused again from the cache (negativeTtl): ProConnect is asked once.
      expect((await call(resource, jwt)).status).toBe(401);
      expect(introspections(emulator) - before).toBe(1);
    }
  });

  it("bounds what 1,000 random tokens cost ProConnect: maxIntrospectionsPerSecond, then 503 with Retry-After", async () => {
    const perSecond = 20;
    const resource = await api({ maxIntrospectionsPerSecond: perSecond });
    const before = introspections(emulator);
    const started = Date.now();
    const statuses = new Map<string, number>();
    for (let batch = 0; batch < 20; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 50 }, () => call(resource, randomBytes(32).toString("base64url"))),
      );
      for (const { status, body, retryAfter } of answers) {
        const key = `${status} ${String(body.error)} ${retryAfter ?? ""}`;
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
      }
    }
    const seconds = (Date.now() - started) / 1000;
    const asked = introspections(emulator) - before;
    // The bucket: perSecond at once, then perSecond a second.
    expect(asked).toBeLessThanOrEqual(Math.ceil(perSecond + perSecond * seconds));
    expect([...statuses.keys()].sort()).toEqual([
      "401 invalid_token ",
      "503 introspection_unavailable 1",
    ]);
    expect(statuses.get("401 invalid_token ")).toBe(asked);
  });

  it("accepts any client's token only when told to (allowAnyClient: true)", async () => {
    const resource = await api({ allowAnyClient: true });
    expect((await call(resource, (await tokens()).access_token)).status).toBe(200);
  });

  it("refuses a token issued to a client the API does not accept (allowedClients)", async () => {
    const resource = await api({ allowedClients: ["another-service"] });
    const answer = await call(resource, (await tokens()).access_token);
    expect([answer.status, answer.body.error]).toEqual([401, "invalid_token"]);
    expect(answer.challenge).toMatch(/^Bearer error="invalid_token", error_description="/);
    expect(answer.body.message).toMatch(/allowedClients/);
    const accepting = await api({ allowedClients: ["another-service", "test-app"] });
    expect((await call(accepting, (await tokens()).access_token)).status).toBe(200);
  });

  it("answers 403 insufficient_scope when a scope is missing", async () => {
    const resource = await api();
    const answer = await call(resource, (await tokens()).access_token, "/write");
    expect([answer.status, answer.body.error]).toEqual([403, "insufficient_scope"]);
    expect(answer.challenge).toMatch(/^Bearer error="insufficient_scope", .*scope="write"$/);
    const granted = await api({ scopes: ["openid", "siret"] });
    expect((await call(granted, (await tokens()).access_token)).status).toBe(200);
  });

  it("costs one introspection per token: cached afterwards, shared by concurrent requests", async () => {
    const resource = await api();
    const { access_token: token } = await tokens();
    const before = introspections(emulator);
    const answers = await Promise.all(Array.from({ length: 10 }, () => call(resource, token)));
    expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(200));
    expect(introspections(emulator)).toBe(before + 1);
    for (let i = 0; i < 20; i++) expect((await call(resource, token)).status).toBe(200);
    expect(introspections(emulator)).toBe(before + 1);
    expect(resource.bearer.cacheSize).toBe(1);
  });

  it("refuses a revoked token: at once without a cache, after the cache's ttl with one", async () => {
    const uncached = await api({ cache: false });
    const cached = await api({ cache: { ttl: 1 } });
    const { access_token: token } = await tokens();
    expect((await call(uncached, token)).status).toBe(200);
    expect((await call(cached, token)).status).toBe(200);
    const revoked = await fetch(`${emulator.issuer}/token/revocation`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token, client_id: "test-app", client_secret: CLIENT_SECRET }),
    });
    expect(revoked.status).toBe(200);
    const now = await call(uncached, token);
    expect([now.status, now.body.error]).toEqual([401, "invalid_token"]);
    expect((await call(cached, token)).status).toBe(200); // still trusted, for up to ttl
    await sleep(1100);
    const later = await call(cached, token);
    expect([later.status, later.body.error]).toEqual([401, "invalid_token"]);
  });

  it("neither refuses new tokens nor keeps verdicts longer when the wall clock is set back", async () => {
    const resource = await api({ maxIntrospectionsPerSecond: 5, cache: { ttl: 1 } });
    const kept = (await tokens()).access_token;
    const fresh = await Promise.all([1, 2, 3].map(async () => (await tokens()).access_token));
    expect((await call(resource, kept)).status).toBe(200);
    const wallClock = Date.now;
    // The wall clock (NTP, a VM restored) goes back a minute, in this process.
    Date.now = () => wallClock() - 60_000;
    try {
      for (const token of fresh) expect((await call(resource, token)).status).toBe(200);
      await sleep(1100); // the ttl, by the clock that goes on
      const revoked = await fetch(`${emulator.issuer}/token/revocation`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          token: kept,
          client_id: "test-app",
          client_secret: CLIENT_SECRET,
        }),
      });
      expect(revoked.status).toBe(200);
      const later = await call(resource, kept);
      expect([later.status, later.body.error]).toEqual([401, "invalid_token"]);
    } finally {
      Date.now = wallClock;
    }
  });

  it("never lets refused tokens push a valid one out of the cache", async () => {
    const resource = await api({ cache: { maxEntries: 2 } });
    const { access_token: token } = await tokens();
    expect((await call(resource, token)).status).toBe(200);
    for (let i = 0; i < 5; i++) {
      expect(
        (await call(resource, `junk-token-${i}-${randomBytes(8).toString("hex")}`)).status,
      ).toBe(401);
    }
    const before = introspections(emulator);
    expect((await call(resource, token)).status).toBe(200);
    expect(introspections(emulator)).toBe(before);
  });

  it("keeps at most maxEntries tokens", async () => {
    const resource = await api({ cache: { maxEntries: 2 } });
    for (let i = 0; i < 3; i++) await call(resource, (await tokens()).access_token);
    expect(resource.bearer.cacheSize).toBe(2);
  });

  it("is introspection_unavailable when ProConnect refuses the resource server's credentials", async () => {
    const resource = await api({ clientSecret: "not-the-secret-of-rs-plain-at-all-xxxxxxx" });
    const answer = await call(resource, (await tokens()).access_token);
    expect([answer.status, answer.body.error]).toEqual([503, "introspection_unavailable"]);
    expect(answer.body.message).toMatch(/invalid_client/);
    expect(resource.warnings.join("\n")).toMatch(/invalid_client/);
  });

  it("gets signed answers for a client registered without an algorithm: oidc-provider's RS256 default", async () => {
    // What the emulator (oidc-provider 9) does when a client asks for a JWT without having registered
    // introspection_signed_response_alg.
    const resource = await api({ introspectionSignedResponseAlg: "RS256" });
    const answer = await call(resource, (await tokens()).access_token);
    expect([answer.status, answer.body.signed]).toEqual([200, true]);
  });
});

describe("requireBearer() with an expired token", () => {
  it("refuses it once ProConnect says it has expired", async () => {
    const emulator = await startProConnectEmulator({
      strict: true,
      clients: [testClient()],
      // 3 s: long enough for the first call on a loaded machine, short enough to wait out.
      ttl: { accessToken: 3 },
    });
    registerResourceServer(emulator, "rs-plain");
    const resource = await startApi({
      clientId: "rs-plain",
      clientSecret: CLIENT_SECRET,
      issuer: emulator.issuer,
      allowedClients: ["test-app"],
    });
    try {
      const { access_token: token } = (await signIn(await discover(emulator), EMAIL)).tokens;
      expect((await call(resource, token)).status).toBe(200);
      await sleep(3500);
      // Cached until exp only (plus the clock tolerance): then asked again, and refused.
      const answer = await call(resource, token);
      expect([answer.status, answer.body.error]).toEqual([401, "invalid_token"]);
    } finally {
      await resource.close();
      await emulator.close();
    }
  }, 30_000);
});

type Mode =
  | "ok"
  | "hang"
  | "reset"
  | "html"
  | "no-active"
  | "error-500"
  | "error-echo"
  | "jwt-ok"
  | "jwt-forged"
  | "jwt-wrong-aud"
  | "jwt-wrong-iss"
  | "jwt-expired";

/** A ProConnect of the test's own: discovery, JWKS and an introspection endpoint answering `mode`. */
async function startFakeProConnect(downIntrospection = false) {
  const { publicKey, privateKey } = await generateKeyPair("RS256");
  const forger = await generateKeyPair("RS256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "fake-1", alg: "RS256", use: "sig" };
  const state = { mode: "ok" as Mode, introspections: 0, delayMs: 0 };
  const closedPort = await freePort();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const path = new URL(req.url!, "http://fake.invalid").pathname;
      const send = (status: number, type: string, body: string) => {
        res.writeHead(status, { "content-type": type });
        res.end(body);
      };
      if (path === "/api/v2/.well-known/openid-configuration") {
        send(
          200,
          "application/json",
          JSON.stringify({
            issuer,
            authorization_endpoint: `${issuer}/authorize`,
            token_endpoint: `${issuer}/token`,
            jwks_uri: `${issuer}/jwks`,
            introspection_endpoint: downIntrospection
              ? `http://127.0.0.1:${closedPort}/api/v2/token/introspection`
              : `${issuer}/token/introspection`,
            introspection_signing_alg_values_supported: ["RS256"],
          }),
        );
        return;
      }
      if (path === "/api/v2/jwks") {
        send(200, "application/json", JSON.stringify({ keys: [jwk] }));
        return;
      }
      if (path !== "/api/v2/token/introspection") {
        send(404, "text/plain", "not found");
        return;
      }
      state.introspections += 1;
      if (state.delayMs > 0) await sleep(state.delayMs);
      const now = Math.floor(Date.now() / 1000);
      const facts = {
        active: true,
        sub: "fake-sub",
        client_id: "fake-sp",
        exp: now + (state.mode === "jwt-expired" ? -3600 : 3600),
        iat: now,
        iss: issuer,
        scope: "openid",
        token_type: "Bearer",
      };
      const signed = (key: CryptoKey, claims: Record<string, unknown>) =>
        new SignJWT({ token_introspection: facts, ...claims })
          .setProtectedHeader({ alg: "RS256", typ: "token-introspection+jwt", kid: "fake-1" })
          .setIssuedAt()
          .sign(key);
      const jwt = "application/token-introspection+jwt";
      switch (state.mode) {
        case "ok":
          return send(200, "application/json", JSON.stringify(facts));
        case "hang":
          return; // never answers
        case "reset":
          return req.socket.destroy();
        case "html":
          return send(200, "text/html", "<html><body>Maintenance</body></html>");
        case "no-active":
          return send(200, "application/json", JSON.stringify({ sub: "fake-sub" }));
        case "error-500":
          return send(500, "application/json", JSON.stringify({ error: "server_error" }));
        case "error-echo": {
          // An error that is no OAuth error code: the token sent, markup and 20 KB.
          let body = "";
          for await (const chunk of req) body += String(chunk);
          const token = new URLSearchParams(body).get("token");
          const error = `bad token ${token} <script>x</script> ${"A".repeat(20_000)}`;
          return send(400, "application/json", JSON.stringify({ error }));
        }
        case "jwt-ok":
        case "jwt-expired":
          return send(200, jwt, await signed(privateKey, { iss: issuer, aud: "fake-rs" }));
        case "jwt-forged":
          return send(200, jwt, await signed(forger.privateKey, { iss: issuer, aud: "fake-rs" }));
        case "jwt-wrong-aud":
          return send(200, jwt, await signed(privateKey, { iss: issuer, aud: "another-rs" }));
        case "jwt-wrong-iss":
          return send(
            200,
            jwt,
            await signed(privateKey, { iss: "https://evil.example", aud: "fake-rs" }),
          );
      }
    })();
  });
  const { url, close } = await listen(server);
  const issuer = `${url}/api/v2`;
  return { issuer, state, close };
}

describe("requireBearer() when ProConnect misbehaves", () => {
  let fake: Awaited<ReturnType<typeof startFakeProConnect>>;
  const api = useApis(() => ({
    clientId: "fake-rs",
    clientSecret: CLIENT_SECRET,
    issuer: fake.issuer,
    httpTimeout: 400,
    allowedClients: ["fake-sp"],
  }));

  beforeAll(async () => {
    fake = await startFakeProConnect();
  });
  afterAll(async () => {
    await fake?.close();
  });

  it("lets a token through on a well-formed answer (the fake works)", async () => {
    fake.state.mode = "ok";
    expect((await call(await api(), "some-token")).body).toMatchObject({ sub: "fake-sub" });
  });

  for (const [mode, pattern] of [
    ["hang", /did not answer within 400 ms/],
    ["reset", /cannot be reached/],
    ["html", /not an introspection answer/],
    ["no-active", /not an introspection answer/],
    ["error-500", /HTTP 500/],
  ] as const) {
    it(`is 503 introspection_unavailable within the bound when the endpoint ${mode === "hang" ? "is slow" : `answers ${mode}`}`, async () => {
      fake.state.mode = mode;
      const resource = await api();
      const answer = await call(resource, `token-for-${mode}`);
      expect([answer.status, answer.body.error]).toEqual([503, "introspection_unavailable"]);
      expect(answer.body.message).toMatch(pattern);
      expect(answer.ms).toBeLessThan(1500);
      expect(resource.warnings.length).toBe(1);
      // Not remembered: the next request asks again.
      const before = fake.state.introspections;
      fake.state.mode = "ok";
      expect((await call(resource, `token-for-${mode}`)).status).toBe(200);
      expect(fake.state.introspections).toBe(before + 1);
    });
  }

  it("never quotes an error that is no OAuth error code (it may echo the token): 503, the token in no body or log", async () => {
    fake.state.mode = "error-echo";
    const resource = await api();
    const token = "SECRET-ACCESS-TOKEN-123";
    const answer = await call(resource, token);
    expect([answer.status, answer.body.error]).toEqual([503, "introspection_unavailable"]);
    expect(answer.body.message).toMatch(
      /answered an error that is no OAuth error code \(HTTP 400\)/,
    );
    expect(JSON.stringify(answer.body) + resource.warnings.join("\n")).not.toMatch(/SECRET|script/);
    expect(String(answer.body.message).length).toBeLessThan(200);
  });

  it("leaves the answer to the app when it answered while ProConnect was being asked (its own response timeout)", async () => {
    const bearer = requireBearer({
      clientId: "fake-rs",
      clientSecret: CLIENT_SECRET,
      issuer: fake.issuer,
      allowedClients: ["fake-sp"],
      logger: { warn: () => undefined },
    });
    let routeRan = 0;
    const app = express();
    app.use(responseTimeout(100));
    app.get("/me", bearer, (_req, res) => {
      routeRan += 1;
      res.json({ ran: true });
    });
    const late = await listen(createServer(app));
    fake.state.delayMs = 400;
    try {
      // A valid token (the route would run), then ProConnect failing (a refusal would be written).
      for (const [mode, token] of [
        ["ok", "late-valid-token"],
        ["error-500", "late-failed-token"],
      ] as const) {
        fake.state.mode = mode;
        const before = fake.state.introspections;
        const answer = await fetch(`${late.url}/me`, {
          headers: { authorization: `Bearer ${token}` },
        });
        expect([answer.status, await answer.json()]).toEqual([503, { error: "timeout" }]);
        await until(() => fake.state.introspections > before);
        await sleep(500); // the verdict has come meanwhile
      }
      expect(routeRan).toBe(0);
      // The process is still serving, and the verdict was kept for the next request.
      fake.state.delayMs = 0;
      fake.state.mode = "ok";
      const next = await fetch(`${late.url}/me`, {
        headers: { authorization: "Bearer late-valid-token" },
      });
      expect([next.status, routeRan]).toEqual([200, 1]);
    } finally {
      fake.state.delayMs = 0;
      await late.close();
    }
  });

  it("is 503 when the introspection endpoint is down", async () => {
    const down = await startFakeProConnect(true);
    try {
      const resource = await api({ issuer: down.issuer });
      const answer = await call(resource, "any-token");
      expect([answer.status, answer.body.error]).toEqual([503, "introspection_unavailable"]);
      expect(answer.body.message).toMatch(/cannot be reached/);
    } finally {
      await down.close();
    }
  });

  it("verifies a signed answer, and refuses a forged, wrong-audience, wrong-issuer or expired one", async () => {
    const signed = { introspectionSignedResponseAlg: "RS256" } as const;
    fake.state.mode = "jwt-ok";
    const resource = await api(signed);
    expect((await call(resource, "signed-ok")).body).toMatchObject({
      sub: "fake-sub",
      signed: true,
    });
    for (const [mode, pattern] of [
      ["jwt-forged", /signature/],
      ["jwt-wrong-aud", /aud/],
      ["jwt-wrong-iss", /iss/],
      ["jwt-expired", /expired/],
    ] as const) {
      fake.state.mode = mode;
      const answer = await call(await api(signed), `token-${mode}`);
      expect([answer.status, answer.body.error], mode).toEqual([401, "invalid_token"]);
      expect(answer.challenge, mode).toMatch(/^Bearer error="invalid_token"/);
      expect(answer.body.message, mode).toMatch(pattern);
    }
  });

  it("refuses a plain answer when a signed one is registered", async () => {
    fake.state.mode = "ok";
    const answer = await call(await api({ introspectionSignedResponseAlg: "RS256" }), "plain");
    expect([answer.status, answer.body.error]).toEqual([503, "introspection_unavailable"]);
  });
});

describe("requireBearer() options", () => {
  it("lists every problem at creation in one invalid_options error", () => {
    let thrown: unknown;
    try {
      requireBearer({
        clientId: "",
        clientSecret: "secret",
        issuer: "http://proconnect.example/api/v2",
        scopes: ["two words"],
        cache: { maxEntries: 0, ttl: -1 },
        httpTimeout: 0,
        extra: true,
      } as unknown as RequireBearerOptions);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ProConnectError);
    const { code, message } = thrown as ProConnectError;
    expect(code).toBe("invalid_options");
    for (const field of [
      "clientId",
      "issuer",
      "scopes",
      "cache.maxEntries",
      "cache.ttl",
      "httpTimeout",
      "extra",
    ]) {
      expect(message, field).toContain(field);
    }
  });

  it("refuses to start without a rule on who may call, naming allowedClients and allowAnyClient", () => {
    const thrown = (() => {
      try {
        requireBearer({ clientId: "rs", clientSecret: "secret" });
      } catch (error) {
        return error;
      }
      return undefined;
    })() as ProConnectError;
    expect([thrown.code, thrown.status]).toEqual(["invalid_options", 500]);
    expect(thrown.message).toMatch(/allowedClients/);
    expect(thrown.message).toMatch(/allowAnyClient: true/);
    expect(() =>
      requireBearer({
        clientId: "rs",
        clientSecret: "secret",
        allowedClients: ["sp"],
        allowAnyClient: true,
      }),
    ).toThrow(/allowAnyClient/);
    expect(() =>
      requireBearer({ clientId: "rs", clientSecret: "secret", allowAnyClient: true }),
    ).not.toThrow();
  });

  it("refuses a wrong scope given to withScopes()", () => {
    const bearer = requireBearer({ clientId: "rs", clientSecret: "secret", allowAnyClient: true });
    expect(() => bearer.withScopes(["a b"])).toThrow(/withScopes\(\)/);
  });
});

describe("the example app's API part", () => {
  it("calls its API with the signed-in person's access token and shows the answer", async () => {
    const { startExample } = await import("../example-app/server.js");
    const { TestBrowser } = await import("../lib/testing/index.js");
    const running = await startExample(
      { PORT: "0", EMULATOR_PORT: "0" },
      { host: "127.0.0.1", logger: { warn: () => undefined, error: () => undefined } },
    );
    try {
      const browser = new TestBrowser();
      const page = await browser.navigate(`${running.url}/documents`, { email: EMAIL });
      expect(page.status).toBe(200);
      expect(page.body).toContain("data-api-answer");
      expect(page.body).toMatch(/data-api-sub>[0-9a-f]{10,}/);
      // The API itself refuses a call without a token.
      const bare = await fetch(`${running.localUrl}/ressources/api/documents`);
      expect([bare.status, bare.headers.get("www-authenticate")]).toEqual([401, "Bearer"]);
    } finally {
      await running.close();
    }
  });
});
