import { describe, expect, it } from "vitest";
import { proconnect, ProConnectError, requireAuth, type ProConnectOptions } from "../lib/index.js";
import { TestBrowser } from "../lib/testing/index.js";
import { errorOf, startTestApp } from "./helpers/app.js";

const valid: ProConnectOptions = {
  clientId: "my-app",
  clientSecret: "my-secret",
  baseUrl: "https://mon-service.gouv.fr",
};

function problems(options: unknown): string {
  try {
    proconnect(options as ProConnectOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(ProConnectError);
    expect((error as ProConnectError).code).toBe("invalid_options");
    return (error as Error).message;
  }
  throw new Error("proconnect() accepted the options");
}

describe("proconnect(options)", () => {
  it("accepts the minimal options", () => {
    expect(typeof proconnect(valid)).toBe("function");
  });

  it("refuses the acr values ProConnect removed in June 2026, naming the removal and the replacement", () => {
    const removed = "https://proconnect.gouv.fr/assurance/self-asserted-2fa";
    const message = problems({
      ...valid,
      acrValues: ["eidas1", removed],
      claims: { id_token: { acr: { essential: true, values: ["eidas1-mfa", removed] } } },
    });
    expect(message).toContain("→ at acrValues[1]");
    expect(message).toContain("→ at claims.id_token.acr");
    expect(message).toMatch(
      /removed by ProConnect in June 2026[\s\S]*requireAuth\(\{ mfa: true \}\)/,
    );
    expect(() => requireAuth({ acr: removed as never })).toThrow(
      /was removed by ProConnect in June 2026/,
    );
    expect(() => requireAuth({ acr: "eidas1", mfa: true })).toThrow(/acr or mfa, not both/);
  });

  it("lists every wrong option in one start-up error", () => {
    const message = problems({
      clientId: "my-app",
      baseUrl: "mon-service.gouv.fr",
      scopes: ["openid", "admin"],
      idTokenSignedResponseAlg: "none",
      routes: { login: "/login*" },
      httpTimeout: -1,
      colour: "blue",
    });
    for (const field of [
      "clientSecret",
      "baseUrl",
      "scopes[1]",
      "idTokenSignedResponseAlg",
      "routes.login",
      "httpTimeout",
    ]) {
      expect(message).toContain(`→ at ${field}`);
    }
    expect(message).toContain("colour");
    expect(message).toContain("the client_secret ProConnect gave you");
  });

  it("says whether the client id or secret is missing, empty or not a string", () => {
    const { clientId: _id, ...withoutId } = valid;
    expect(problems(withoutId)).toContain("✖ is required: the client_id ProConnect gave you");
    expect(problems({ ...valid, clientSecret: "" })).toContain(
      "✖ is empty: the client_secret ProConnect gave you (an environment variable set but empty?)",
    );
    expect(problems({ ...valid, clientId: 123 })).toContain(
      "✖ must be a string: the client_id ProConnect gave you",
    );
  });

  it("lists the rules between options together with the wrong fields, not on a second try", () => {
    const message = problems({
      clientId: "",
      clientSecret: 42,
      baseUrl: "http://mon-service.gouv.fr",
      environment: "production",
      issuer: "http://proconnect.example",
      routes: { login: "/same", callback: "/same" },
    });
    for (const expected of [
      /→ at clientId/,
      /→ at clientSecret/,
      /Y04A586[\s\S]*→ at baseUrl/,
      /http:\/\/ only for a local emulator[\s\S]*→ at issuer/,
      /must all be different[\s\S]*→ at routes/,
    ]) {
      expect(message).toMatch(expected);
    }
    for (const input of [null, 7, "options", [], { routes: null }, { baseUrl: 1, routes: 2 }]) {
      expect(problems(input)).toMatch(/Invalid proconnect\(\) options/);
    }
  });

  it("refuses http and localhost in production (ProConnect's Y04A586)", () => {
    expect(
      problems({ ...valid, environment: "production", baseUrl: "http://mon-service.gouv.fr" }),
    ).toMatch(/https:\/\/ in production[\s\S]*Y04A586[\s\S]*→ at baseUrl/);
    expect(
      problems({ ...valid, environment: "production", baseUrl: "https://localhost:3000" }),
    ).toMatch(/localhost in production/);
    expect(typeof proconnect({ ...valid, baseUrl: "http://localhost:3000" })).toBe("function");
  });

  it("refuses a wildcard, a query or a fragment in baseUrl", () => {
    expect(problems({ ...valid, baseUrl: "https://*.gouv.fr" })).toContain("→ at baseUrl");
    expect(problems({ ...valid, baseUrl: "https://mon-service.gouv.fr/?a=1" })).toContain(
      "→ at baseUrl",
    );
  });

  it("allows an http issuer only on the loopback (the local emulator)", () => {
    expect(problems({ ...valid, issuer: "http://proconnect.example/api/v2" })).toContain(
      "→ at issuer",
    );
    expect(typeof proconnect({ ...valid, issuer: "http://127.0.0.1:4000/api/v2" })).toBe(
      "function",
    );
  });

  it("refuses the same path for two routes and a postLoginRedirect leaving the app", () => {
    expect(problems({ ...valid, routes: { login: "/auth", callback: "/auth" } })).toContain(
      "→ at routes",
    );
    expect(problems({ ...valid, postLoginRedirect: "//evil.example" })).toContain(
      "→ at postLoginRedirect",
    );
  });

  it("refuses hooks that are not functions and a logger without warn", () => {
    const message = problems({
      ...valid,
      onLogin: "yes",
      onLogout: 1,
      returnTo: "/x",
      logger: {},
    });
    for (const field of ["onLogin", "onLogout", "returnTo", "logger"]) {
      expect(message).toContain(`→ at ${field}`);
    }
  });

  it("refuses keepSessionKeys that are not the app's own keys", () => {
    const message = problems({
      ...valid,
      keepSessionKeys: ["locale", "cookie", "__proto__", "proconnect", "proconnect:rie", ""],
    });
    for (const index of [1, 2, 3, 4, 5]) expect(message).toContain(`keepSessionKeys[${index}]`);
    expect(message).not.toContain("keepSessionKeys[0]");
  });

  it("refuses a refreshLock that is not a function, or without storeTokens", () => {
    expect(problems({ ...valid, storeTokens: true, refreshLock: {} })).toMatch(
      /redisRefreshLock\(redisClient\)\n\s*→ at refreshLock/,
    );
    const lock = () => Promise.resolve(undefined);
    expect(problems({ ...valid, refreshLock: lock })).toMatch(
      /storeTokens: true[^\n]*\n\s*→ at refreshLock/,
    );
    expect(() => proconnect({ ...valid, storeTokens: true, refreshLock: lock })).not.toThrow();
  });

  it.each([
    ["integration", "internet", "fca.integ01.dev-agentconnect.fr"],
    ["integration", "rie", "fca.integ02.agentconnect.rie.gouv.fr"],
    ["production", "internet", "auth.agentconnect.gouv.fr"],
    ["production", "rie", "auth.agentconnect.rie.gouv.fr"],
  ] as const)("talks to ProConnect's %s %s issuer", async (environment, network, host) => {
    // Without network (as here) discovery fails and its error names the issuer it tried; with network,
    // the login goes to that issuer's authorize endpoint.
    const app = await startTestApp(undefined, {
      options: { environment, network, baseUrl: "https://mon-service.gouv.fr", httpTimeout: 1500 },
    });
    try {
      const page = await new TestBrowser().navigate(`${app.url}/login`, { stopAt: () => true });
      if (page.status === 303) {
        expect(page.location?.host).toBe(host);
      } else {
        expect([page.status, errorOf(page).code]).toEqual([503, "provider_unavailable"]);
        expect(errorOf(page).message).toContain(`https://${host}/api/v2`);
      }
    } finally {
      await app.close();
    }
  });
});
