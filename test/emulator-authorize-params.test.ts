import { request as httpRequest } from "node:http";
import * as client from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  startProConnectEmulator,
  TestBrowser,
  type ProConnectEmulator,
} from "../lib/testing/index.js";
import {
  authorizationRequest,
  discover,
  exchange,
  random,
  testClient,
  toRp,
  errorCode,
} from "./helpers/emulator.js";

let lax: ProConnectEmulator;
let strict: ProConnectEmulator;
let laxConfig: client.Configuration;
let strictConfig: client.Configuration;

beforeAll(async () => {
  [lax, strict] = await Promise.all([
    startProConnectEmulator({ clients: [testClient()] }),
    startProConnectEmulator({ strict: true, clients: [testClient()] }),
  ]);
  [laxConfig, strictConfig] = await Promise.all([discover(lax), discover(strict)]);
});
afterAll(() => Promise.all([lax.close(), strict.close()]));

/** Where an authorization request ends: the app's callback (a redirect) or an error page of the emulator. */
async function outcome(
  config: client.Configuration,
  params: Record<string, string>,
  remove: string[] = [],
) {
  const request = await authorizationRequest(config, params);
  for (const name of remove) request.url.searchParams.delete(name);
  const page = await new TestBrowser().navigate(request.url, {
    email: "test@fia1.fr",
    stopAt: toRp,
  });
  return { request, page, code: errorCode(page.body) };
}

describe("/authorize in strict mode (ProConnect's documented rules)", () => {
  it("refuses an unknown parameter with Y000400", async () => {
    const { page, code } = await outcome(strictConfig, { max_age: "0" });
    expect(page.status).toBe(400);
    expect(code).toBe("Y000400");
    expect(page.body).toContain("unknown parameter &quot;max_age&quot;");
    expect(page.location).toBeUndefined();
  });

  it("refuses a state shorter than 32 characters", async () => {
    const { page, code } = await outcome(strictConfig, { state: "s".repeat(31) });
    expect([page.status, code]).toEqual([400, "Y000400"]);
    expect(page.body).toContain("state must be at least 32 characters");
  });

  it("refuses a nonce shorter than 32 characters, or none", async () => {
    const short = await outcome(strictConfig, { nonce: "n".repeat(31) });
    expect([short.page.status, short.code]).toEqual([400, "Y000400"]);
    const missing = await outcome(strictConfig, {}, ["nonce"]);
    expect([missing.page.status, missing.code]).toEqual([400, "Y000400"]);
    expect(missing.page.body).toContain("nonce is required");
  });

  it("accepts a request made by the rules, by GET or by POST", async () => {
    const { page } = await outcome(strictConfig, {});
    expect(page.location?.searchParams.has("code")).toBe(true);

    const request = await authorizationRequest(strictConfig);
    const form = Object.fromEntries(request.url.searchParams);
    const posted = await new TestBrowser().navigate(
      strictConfig.serverMetadata().authorization_endpoint!,
      {
        method: "POST",
        form,
        email: "test@fia1.fr",
        stopAt: toRp,
      },
    );
    const tokens = await exchange(strictConfig, posted.location!, request);
    expect(tokens.claims()?.nonce).toBe(request.nonce);
  });

  it("refuses an unknown parameter sent by POST too", async () => {
    const request = await authorizationRequest(strictConfig);
    const form = { ...Object.fromEntries(request.url.searchParams), ui_locales: "fr" };
    const page = await new TestBrowser().navigate(
      strictConfig.serverMetadata().authorization_endpoint!,
      {
        method: "POST",
        form,
      },
    );
    expect([page.status, errorCode(page.body)]).toEqual([400, "Y000400"]);
  });
});

describe("/authorize by default (ProConnect's server behaviour)", () => {
  it("drops unknown parameters silently", async () => {
    // max_age=0 would force a new login if it reached oidc-provider; ProConnect does not implement it.
    const browser = new TestBrowser();
    const first = await authorizationRequest(laxConfig);
    await browser.navigate(first.url, { email: "test@fia1.fr", stopAt: toRp });
    const request = await authorizationRequest(laxConfig, { max_age: "0", foo: "bar" });
    const page = await browser.navigate(request.url, { stopAt: toRp });
    expect(page.location?.searchParams.has("code")).toBe(true);
  });

  it("accepts short state and nonce, and no nonce", async () => {
    const short = await outcome(laxConfig, { state: "s", nonce: "n" });
    expect(short.page.location?.searchParams.get("state")).toBe("s");
    const tokens = await client.authorizationCodeGrant(laxConfig, short.page.location!, {
      expectedState: "s",
      expectedNonce: "n",
      pkceCodeVerifier: short.request.verifier,
    });
    expect(tokens.claims()?.nonce).toBe("n");

    const none = await outcome(laxConfig, {}, ["nonce"]);
    expect(none.page.location?.searchParams.has("code")).toBe(true);
  });

  it("requires a state", async () => {
    const { page, code } = await outcome(laxConfig, {}, ["state"]);
    expect([page.status, code]).toEqual([400, "Y000400"]);
    expect(page.body).toContain("state must be a string");
  });

  it("refuses a nonce longer than 512 characters or outside ASCII", async () => {
    for (const nonce of ["n".repeat(513), "nonce-é"]) {
      const { page, code } = await outcome(laxConfig, { nonce });
      expect([page.status, code]).toEqual([400, "Y000400"]);
    }
    const longest = await outcome(laxConfig, { nonce: "n".repeat(512) });
    expect(longest.page.location?.searchParams.has("code")).toBe(true);
  });

  it("refuses a login_hint that is not an e-mail and a siret_hint that is not 14 characters", async () => {
    const hint = await outcome(laxConfig, { login_hint: "not-an-email" });
    expect([hint.page.status, hint.code]).toEqual([400, "Y000400"]);
    expect(hint.page.body).toContain("Le login_hint doit être une adresse email valide");
    const siret = await outcome(laxConfig, { siret_hint: "1300252650001" });
    expect([siret.page.status, siret.code]).toEqual([400, "Y000400"]);
    const goodSiret = await outcome(laxConfig, { siret_hint: "13002526500013" });
    expect(goodSiret.page.location?.searchParams.has("code")).toBe(true);
  });

  it("refuses a redirect_uri that is not http(s)", async () => {
    const { page, code } = await outcome(laxConfig, { redirect_uri: "javascript:alert(1)" });
    expect([page.status, code]).toEqual([400, "Y000400"]);
  });

  it("refuses a repeated parameter with Y000400, as the server's validation sees no string", async () => {
    const request = await authorizationRequest(laxConfig);
    request.url.searchParams.append("scope", "openid email");
    const page = await new TestBrowser().navigate(request.url, { stopAt: toRp });
    expect([page.status, errorCode(page.body)]).toEqual([400, "Y000400"]);
    expect(page.body).toContain('data-error-message="scope must be a string"');
    expect(page.location).toBeUndefined();
  });

  it("refuses a missing redirect_uri or scope with Y000400, not a redirect nor a default", async () => {
    for (const [name, message] of [
      ["redirect_uri", "redirect_uri must match /^https?:\\/\\/[^/].+$/ regular expression"],
      ["scope", "scope must be a string"],
    ] as const) {
      const { page, code } = await outcome(laxConfig, {}, [name]);
      expect([page.status, code, page.location]).toEqual([400, "Y000400", undefined]);
      expect(page.body).toContain(`data-error-message="${message}"`);
    }
  });

  it("answers a request sent in absolute form with an authority the URL standard refuses as it does the same in origin form", async () => {
    const { url } = await authorizationRequest(laxConfig, {});
    url.searchParams.delete("scope");
    const target = `http://x:99999${url.pathname}${url.search}`;
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const sent = httpRequest(
        { hostname: url.hostname, port: url.port, path: target, agent: false },
        (res) => {
          let body = "";
          res.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
          res.on("end", () => resolve({ status: res.statusCode!, body }));
        },
      );
      sent.on("error", reject).end();
    });
    expect([answer.status, errorCode(answer.body)]).toEqual([400, "Y000400"]);
  });

  it("keeps the state of the request in the error redirect", async () => {
    const state = random();
    const { page } = await outcome(laxConfig, { state, prompt: "none" });
    expect(page.location?.searchParams.get("state")).toBe(state);
    expect(page.location?.searchParams.get("error")).toBe("login_required");
  });
});
