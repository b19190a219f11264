import { decodeJwt } from "jose";
import { request } from "node:http";
import { describe, expect, it } from "vitest";
import type { ProConnectEmulator } from "../lib/testing/index.js";
import { onlySession, type TestApp, useTestApp } from "./helpers/app.js";
import { expectRefused, signIn, withApp } from "./helpers/refusals.js";

// What a genuinely signed identity may put in the session is bounded (maxUserSize), and so is what a
// browser's cookies can make the app send back.

let emulator: ProConnectEmulator;
let app: TestApp;

useTestApp((started) => ({ emulator, app } = started));

/** `custom` holding `count` attributes of `bytes` characters each, in the genuine signed userinfo. */
function customOf(count: number, bytes: number) {
  const custom: Record<string, string> = { service: "DINUM" };
  for (let index = 0; index < count; index++) custom[`attribute${index}`] = "x".repeat(bytes);
  emulator.setTamper({
    claims: (claims, { use }) => (use === "userinfo" ? { ...claims, custom } : claims),
  });
}

const withCustom = (run: (target: TestApp) => Promise<void>) =>
  withApp(emulator, { options: { scopes: ["openid", "email", "siret", "custom"] } }, run);

describe("GET /callback: the user's size in the session", () => {
  it("drops the largest custom attributes of a 200 KB custom to fit maxUserSize, with one warning and no values", async () => {
    await withCustom(async (target) => {
      customOf(20, 10_000);
      const { page, user } = await signIn(target, "test@fia1.fr");
      expect(page.status).toBe(200);
      expect(user?.email).toBe("test@fia1.fr");
      expect(user?.custom).toMatchObject({ service: "DINUM" });
      const [, data] = await onlySession(target.store);
      expect(
        JSON.stringify((data.proconnect as { user: unknown }).user).length,
      ).toBeLessThanOrEqual(16_384);
      const warning = target.warnings.find((entry) => /maxUserSize/.test(entry.message));
      expect(warning?.details).toMatchObject({
        dropped: expect.arrayContaining(["custom.attribute0"]) as unknown,
      });
      expect(JSON.stringify(target.warnings)).not.toContain("xxxxxxxx");
    });
  });

  it("keeps a custom that fits, untouched and without a warning", async () => {
    await withCustom(async (target) => {
      customOf(3, 100);
      const { user } = await signIn(target, "test@fia1.fr");
      expect(Object.keys(user?.custom ?? {})).toHaveLength(4);
      expect(target.warnings.filter((entry) => /maxUserSize/.test(entry.message))).toEqual([]);
    });
  });

  it("honours a smaller maxUserSize", async () => {
    await withApp(
      emulator,
      { options: { scopes: ["openid", "email", "siret", "custom"], maxUserSize: 4096 } },
      async (target) => {
        customOf(4, 1000);
        const { user } = await signIn(target, "test@fia1.fr");
        expect(JSON.stringify(user).length).toBeLessThanOrEqual(4096);
        expect(Object.keys(user?.custom ?? {}).length).toBeLessThan(5);
      },
    );
  });

  it("refuses a 10 MB custom (its userinfo is over the body limit): 502 provider_error, nobody signed in", async () => {
    await withCustom(async (target) => {
      customOf(1000, 10_000);
      const error = await expectRefused(target, "test@fia1.fr", "provider_error");
      expect(error.message).toMatch(/userinfo/);
    });
  });

  it("refuses a 10 KB given_name (a required claim over its 256 characters): invalid_user_claims", async () => {
    emulator.setTamper({
      claims: (claims, { use }) =>
        use === "userinfo" ? { ...claims, given_name: "Angèle".repeat(1700) } : claims,
    });
    const error = await expectRefused(app, "test@fia1.fr", "invalid_user_claims");
    expect(error.message).toContain("given_name");
    expect(error.message).not.toContain("Angèle");
  });

  it("refuses a 10 KB e-mail address: invalid_user_claims", async () => {
    emulator.setTamper({
      claims: (claims, { use }) =>
        use === "userinfo" ? { ...claims, email: `${"a".repeat(10_000)}@fia1.fr` } : claims,
    });
    const error = await expectRefused(app, "test@fia1.fr", "invalid_user_claims");
    expect(error.message).toContain("email");
  });

  it("drops an oversized acr or amr of the id_token with a warning, and still signs in", async () => {
    await withApp(emulator, {}, async (target) => {
      emulator.setTamper({
        idToken: (jws, { clientId }) =>
          emulator.sign(
            { ...decodeJwt(jws), acr: "e".repeat(10_000), amr: Array<string>(1000).fill("pwd") },
            { alg: "ES256", clientId },
          ),
      });
      const { user } = await signIn(target, "test@fia1.fr");
      expect(user?.email).toBe("test@fia1.fr");
      expect(user).not.toHaveProperty("acr");
      expect(user).not.toHaveProperty("amr");
      expect(target.warnings.map((entry) => entry.message).join("\n")).toMatch(/acr[\s\S]*amr/);
    });
  });
});

/** The raw head of /login's answer for a Cookie header. */
function loginHead(cookie: string): Promise<{ status: number; bytes: number; cookies: number }> {
  const { hostname, port } = new URL(app.url);
  return new Promise((resolve, reject) => {
    const req = request(
      { hostname, port, path: "/login", headers: { cookie }, agent: false, maxHeaderSize: 1 << 20 },
      (res) => {
        res.resume();
        const bytes = res.rawHeaders.reduce((sum, part) => sum + Buffer.byteLength(part) + 2, 0);
        resolve({
          status: res.statusCode!,
          bytes,
          cookies: res.headers["set-cookie"]?.length ?? 0,
        });
      },
    );
    req.on("error", reject);
    req.end();
  });
}

describe("GET /login: inputs that would reach the authorization URL, counted", () => {
  const refusals: [string, string][] = [
    ["a 13.5 KB acr list", `acr=${Array<string>(1500).fill("eidas1").join("+")}`],
    ["an acr list of 8 values", `acr=${Array<string>(8).fill("eidas1").join("+")}`],
    ["the same acr twice", "acr=eidas1+eidas1"],
    ["200 idp_hint", Array.from({ length: 200 }, (_, index) => `idp_hint=fia${index}`).join("&")],
    ["a 10 KB login_hint", `login_hint=${"a".repeat(10_000)}%40fia1.fr`],
    ["a 10 KB idp_hint", `idp_hint=${"x".repeat(10_000)}`],
  ];
  for (const [what, query] of refusals) {
    it(`refuses ${what}: 400 invalid_login_request, no cookie, small headers`, async () => {
      const answer = await fetch(`${app.url}/login?${query}`, {
        redirect: "manual",
        headers: { accept: "application/json" },
      });
      const body = (await answer.json()) as { code?: string };
      expect([answer.status, body.code]).toEqual([400, "invalid_login_request"]);
      expect(answer.headers.getSetCookie()).toEqual([]);
      const bytes = [...answer.headers].reduce(
        (sum, [name, value]) => sum + name.length + value.length + 4,
        0,
      );
      expect(bytes).toBeLessThan(1024);
    });
  }

  it("still sends a list of distinct known acr values to ProConnect", async () => {
    const answer = await fetch(`${app.url}/login?acr=eidas1+eidas2`, { redirect: "manual" });
    expect(answer.status).toBe(303);
    const claims = JSON.parse(new URL(answer.headers.get("location")!).searchParams.get("claims")!);
    expect(claims.id_token.acr.values).toEqual(["eidas1", "eidas2"]);
  });
});

describe("GET /login: junk login cookies", () => {
  it("answers 600 junk proconnect-login cookies with response headers under 8 KB", async () => {
    const junk = Array.from({ length: 600 }, (_, index) => `proconnect-login.j${index}=x`).join(
      "; ",
    );
    const head = await loginHead(junk);
    expect(head.status).toBe(303);
    expect(head.bytes).toBeLessThan(8 * 1024);
    expect(head.cookies).toBeLessThanOrEqual(6); // the new attempt and at most maxPendingLogins (5) deletions
  });
});
