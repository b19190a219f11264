import request from "supertest";
import { describe, expect, it } from "vitest";
import { TestBrowser, type EmulatorFault, type ProConnectEmulator } from "../lib/testing/index.js";
import { errorOf, useTestApp } from "./helpers/app.js";
import { failOnly } from "./helpers/emulator.js";
import { expectNobodySignedIn, signIn, withApp } from "./helpers/refusals.js";

// The network between the app and ProConnect fails: every fault ends on a clear ProConnectError within
// httpTimeout, nobody is signed in, and the app goes on answering what does not need ProConnect.

let emulator: ProConnectEmulator;

useTestApp((started) => ({ emulator } = started));

/** Short, so that a hang costs the suite little; the default is 5 s. */
const HTTP_TIMEOUT = 400;

const FAULTS: Record<string, EmulatorFault> = {
  "HTTP 500 with a JSON error": {
    status: 500,
    body: '{"error":"server_error","error_description":"boom"}',
  },
  "HTTP 502 with an HTML page": {
    status: 502,
    body: "<html><body>Bad Gateway</body></html>",
    contentType: "text/html",
  },
  "HTTP 200 with an HTML page": {
    status: 200,
    body: "<html><body>Maintenance</body></html>",
    contentType: "text/html",
  },
  "HTTP 200 with truncated JSON": { status: 200, body: '{"access_token":"abc","id_tok' },
  "a closed connection": "reset",
  "no answer": "hang",
};

type Expected = readonly [status: number, code: string];

/** What each fault becomes: a bad answer is 502, an unreachable server 503, a timeout 504. */
const EXPECTED: Record<string, Expected> = {
  "HTTP 500 with a JSON error": [502, "provider_error"],
  "HTTP 502 with an HTML page": [502, "provider_error"],
  "HTTP 200 with an HTML page": [502, "provider_error"],
  "HTTP 200 with truncated JSON": [502, "provider_error"],
  "a closed connection": [503, "provider_unavailable"],
  "no answer": [504, "timeout"],
};

/** JSON where a signed JWT is registered is refused as an unsigned userinfo, truncated or not. */
const USERINFO_EXCEPTIONS: Record<string, Expected> = {
  "HTTP 200 with truncated JSON": [502, "invalid_userinfo"],
};

describe("GET /callback when ProConnect's back channel fails", () => {
  for (const endpoint of ["token", "userinfo", "jwks"] as const) {
    for (const name of Object.keys(FAULTS)) {
      const [status, code] =
        (endpoint === "userinfo" ? USERINFO_EXCEPTIONS[name] : undefined) ?? EXPECTED[name]!;
      it(`${endpoint} endpoint, ${name}: ${status} ${code}, nobody signed in`, async () => {
        // A fresh app: its first login fetches the JWKS, so the jwks cases reach the fault.
        await withApp(emulator, { options: { httpTimeout: HTTP_TIMEOUT } }, async (target) => {
          failOnly(emulator, endpoint, FAULTS[name]!);
          const { page, browser } = await signIn(target, "test@fia1.fr");
          expect([page.status, errorOf(page).code]).toEqual([status, code]);
          expect(errorOf(page).message).not.toMatch(/\[object /);
          await expectNobodySignedIn(target, browser);

          emulator.setTamper(undefined);
          expect((await signIn(target, "test@fia1.fr", browser)).user?.siret).toBe(
            "13002526500013",
          );
        });
      });
    }
  }

  it("keeps answering the routes that do not need ProConnect while the token endpoint hangs", async () => {
    await withApp(emulator, { options: { httpTimeout: 3000 } }, async (target) => {
      const tokenCalls = () => emulator.requestCounts()["/api/v2/token"] ?? 0;
      const before = tokenCalls();
      failOnly(emulator, "token", "hang");
      let settled = false;
      const login = signIn(target, "test@fia1.fr").finally(() => (settled = true));
      await expect.poll(tokenCalls, { timeout: 5000, interval: 20 }).toBeGreaterThan(before);

      const home = await request(target.url).get("/");
      expect([home.status, home.body.user]).toEqual([200, null]);
      const api = await request(target.url).get("/api/me");
      expect(api.status).toBe(401);
      expect(settled).toBe(false);

      const { page } = await login;
      expect([page.status, errorOf(page).code]).toEqual([504, "timeout"]);
    });
  });
});

describe("discovery when ProConnect fails", () => {
  for (const [name, fault] of Object.entries(FAULTS)) {
    it(`${name}: 503 provider_unavailable naming the issuer, then works once ProConnect is back`, async () => {
      await withApp(emulator, { options: { httpTimeout: HTTP_TIMEOUT } }, async (target) => {
        failOnly(emulator, "discovery", fault);
        const browser = new TestBrowser();
        const page = await browser.navigate(`${target.url}/login`);
        expect([page.status, errorOf(page).code]).toEqual([503, "provider_unavailable"]);
        expect(errorOf(page).message).toContain(emulator.issuer);
        expect(errorOf(page).message).not.toMatch(/\[object /);
        await expectNobodySignedIn(target, browser);

        emulator.setTamper(undefined);
        expect((await signIn(target, "test@fia1.fr", browser)).user?.siret).toBe("13002526500013");
      });
    });
  }
});
