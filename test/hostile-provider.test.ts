import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT, type JWTPayload } from "jose";
import { describe, expect, it } from "vitest";
import type { SigningAlg } from "../lib/index.js";
import { TestBrowser, type ProConnectEmulator } from "../lib/testing/index.js";
import { errorOf, type TestApp, useTestApp } from "./helpers/app.js";
import {
  expectNobodySignedIn,
  expectRefused,
  forgeSignature,
  signIn,
  withApp,
} from "./helpers/refusals.js";

// A provider that lies: every answer below is refused with a precise code, and nobody is signed in
// (expectRefused checks the app's view and the stored session). discovery.test.ts has the discovery
// document announcing another issuer; network-faults.test.ts the endpoints that fail or hang.

let emulator: ProConnectEmulator;
let app: TestApp;

useTestApp((started) => ({ emulator, app } = started));

const now = () => Math.floor(Date.now() / 1000);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/**
 * Makes the emulator answer with an id_token of its own making: the genuine claims changed by `change`,
 * signed with the emulator's genuine key for `alg` (or the client secret for HS256).
 */
function resignIdToken(change: (claims: JWTPayload) => JWTPayload, alg: SigningAlg = "ES256") {
  emulator.setTamper({
    idToken: async (jws, { clientId }) =>
      emulator.sign(change(decodeJwt(jws)) as Record<string, unknown>, { alg, clientId }),
  });
}

describe("GET /callback: an id_token from a hostile provider", () => {
  it("refuses alg none, whatever the claims (invalid_id_token)", async () => {
    emulator.setTamper({
      idToken: (jws) => `${b64({ alg: "none", typ: "JWT" })}.${b64(decodeJwt(jws))}.`,
    });
    await expectRefused(app, "test@fia1.fr", "invalid_id_token");
  });

  it("refuses an id_token signed with a key the provider never published (invalid_id_token)", async () => {
    const { privateKey } = await generateKeyPair("ES256");
    for (const kid of ["genuine", "unknown"] as const) {
      emulator.setTamper({
        idToken: async (jws) => {
          const header = decodeProtectedHeader(jws);
          return new SignJWT(decodeJwt(jws))
            .setProtectedHeader({ alg: "ES256", kid: kid === "genuine" ? header.kid : "attacker" })
            .sign(privateKey);
        },
      });
      await expectRefused(app, "test@fia1.fr", "invalid_id_token");
    }
  });

  it("refuses HS256 when ES256 is registered, even signed with the client secret (invalid_id_token)", async () => {
    resignIdToken((claims) => claims, "HS256");
    const error = await expectRefused(app, "test@fia1.fr", "invalid_id_token");
    expect(error.message).toMatch(/alg|algorithm/i);
  });

  it("refuses ES256 and RS256 when HS256 is registered, even with the provider's own keys (invalid_id_token)", async () => {
    await withApp(emulator, { options: { idTokenSignedResponseAlg: "HS256" } }, async (target) => {
      for (const alg of ["ES256", "RS256"] as const) {
        resignIdToken((claims) => claims, alg);
        await expectRefused(target, "test@fia1.fr", "invalid_id_token");
      }
    });
  });

  it("refuses RS256 when ES256 is registered, even with the provider's own key (invalid_id_token)", async () => {
    resignIdToken((claims) => claims, "RS256");
    await expectRefused(app, "test@fia1.fr", "invalid_id_token");
  });

  it("refuses another issuer in iss (issuer_mismatch)", async () => {
    resignIdToken((claims) => ({ ...claims, iss: "https://evil.example/api/v2" }));
    const error = await expectRefused(app, "test@fia1.fr", "issuer_mismatch");
    expect(error.message).toMatch(/id_token's iss/);
  });

  it("refuses an id_token for another client (invalid_id_token)", async () => {
    resignIdToken((claims) => ({ ...claims, aud: "another-client" }));
    await expectRefused(app, "test@fia1.fr", "invalid_id_token");
  });

  it("refuses several audiences without azp, or with another client's azp (invalid_id_token)", async () => {
    for (const azp of [undefined, "another-client"]) {
      resignIdToken(({ azp: _azp, ...claims }) => ({
        ...claims,
        aud: [String(claims.aud), "another-client"],
        ...(azp ? { azp } : {}),
      }));
      await expectRefused(app, "test@fia1.fr", "invalid_id_token");
    }
  });

  it("refuses an id_token expired beyond the clock tolerance (invalid_id_token)", async () => {
    resignIdToken((claims) => ({ ...claims, iat: now() - 600, exp: now() - 60 }));
    const error = await expectRefused(app, "test@fia1.fr", "invalid_id_token");
    expect(error.message).toMatch(/exp/);
  });

  it("refuses an id_token issued in the future beyond the clock tolerance (invalid_id_token)", async () => {
    resignIdToken((claims) => ({ ...claims, iat: now() + 120, exp: now() + 600 }));
    const error = await expectRefused(app, "test@fia1.fr", "invalid_id_token");
    expect(error.message).toMatch(/iat/);
  });

  it("refuses an id_token without the nonce, or with another one (invalid_id_token)", async () => {
    resignIdToken(({ nonce: _nonce, ...claims }) => claims);
    expect((await expectRefused(app, "test@fia1.fr", "invalid_id_token")).message).toMatch(/nonce/);
    resignIdToken((claims) => ({ ...claims, nonce: "another-nonce-another-nonce-another-nonce" }));
    expect((await expectRefused(app, "test@fia1.fr", "invalid_id_token")).message).toMatch(/nonce/);
  });
});

describe("GET /callback: signatures of id_token and userinfo, per registered algorithm", () => {
  for (const alg of ["ES256", "RS256", "HS256"] as const) {
    describe(`signatures with ${alg}`, () => {
      const setup = { options: { idTokenSignedResponseAlg: alg, userinfoSignedResponseAlg: alg } };

      it("refuses an id_token with a forged signature (invalid_id_token)", async () => {
        await withApp(emulator, setup, async (target) => {
          emulator.setTamper({ idToken: forgeSignature });
          await expectRefused(target, "test@fia1.fr", "invalid_id_token");
        });
      });

      it("refuses a userinfo with a forged signature (invalid_userinfo)", async () => {
        await withApp(emulator, setup, async (target) => {
          emulator.setTamper({ userinfo: forgeSignature });
          await expectRefused(target, "test@fia1.fr", "invalid_userinfo");
        });
      });

      it("refuses a userinfo re-signed with a key of the attacker's (invalid_userinfo)", async () => {
        await withApp(emulator, setup, async (target) => {
          const key =
            alg === "HS256"
              ? new TextEncoder().encode("x".repeat(48))
              : (await generateKeyPair(alg)).privateKey;
          // Tamper hooks are synchronous: capture a genuine userinfo, then re-sign its header and claims.
          let genuine = "";
          emulator.setTamper({ userinfo: (jws) => (genuine = jws) });
          await signIn(target, "test@fia1.fr");
          const resigned = await new SignJWT(decodeJwt(genuine))
            .setProtectedHeader(decodeProtectedHeader(genuine) as { alg: string })
            .sign(key);
          emulator.setTamper({ userinfo: () => resigned });
          await expectRefused(target, "test@fia1.fr", "invalid_userinfo");
        });
      });

      it("refuses a plain JSON userinfo when a signed one is registered (invalid_userinfo)", async () => {
        await withApp(emulator, setup, async (target) => {
          emulator.setTamper({
            userinfo: (jws) => ({
              body: JSON.stringify(decodeJwt(jws)),
              contentType: "application/json",
            }),
          });
          await expectRefused(target, "test@fia1.fr", "invalid_userinfo");
        });
      });

      it("refuses a genuinely signed userinfo whose sub is not the id_token's (invalid_userinfo)", async () => {
        await withApp(emulator, setup, async (target) => {
          // Control: the same claims re-signed by the emulator are accepted.
          emulator.setTamper({
            userinfo: (jws, { clientId }) => emulator.sign(decodeJwt(jws), { alg, clientId }),
          });
          expect((await signIn(target, "test@fia1.fr")).user?.siret).toBe("13002526500013");

          emulator.setTamper({
            userinfo: (jws, { clientId }) =>
              emulator.sign({ ...decodeJwt(jws), sub: "someone-else" }, { alg, clientId }),
          });
          const error = await expectRefused(target, "test@fia1.fr", "invalid_userinfo");
          expect(error.message).toMatch(/sub/);
        });
      });
    });
  }
});

describe("GET /callback: an authorization response from a hostile provider", () => {
  it("refuses a callback whose iss is not the issuer (issuer_mismatch)", async () => {
    const browser = new TestBrowser();
    const toCallback = (url: URL) => url.pathname === "/callback";
    const stopped = await browser.navigate(`${app.url}/login`, {
      email: "test@fia1.fr",
      stopAt: toCallback,
    });
    const callback = stopped.location!;
    callback.searchParams.set("iss", "https://evil.example/api/v2");
    const page = await browser.navigate(callback);
    expect([page.status, errorOf(page).code]).toEqual([502, "issuer_mismatch"]);
    await expectNobodySignedIn(app, browser);
  });
});

describe("GET /callback: what an honest provider may do", () => {
  it("follows a signing key rotation: the JWKS is fetched again once, and logins go on", async () => {
    await withApp(emulator, {}, async (target) => {
      const jwksCalls = () => emulator.requestCounts()["/api/v2/jwks"] ?? 0;
      expect((await signIn(target, "test@fia1.fr")).user?.siret).toBe("13002526500013");
      const before = jwksCalls();

      await emulator.rotateKeys();
      const after = await signIn(target, "test@fia1.fr");
      expect([after.page.status, after.user?.siret]).toEqual([200, "13002526500013"]);
      expect(jwksCalls() - before).toBe(1);
      await signIn(target, "test@fia1.fr");
      expect(jwksCalls() - before).toBe(1);
    });
  });

  it("accepts a clock difference within the tolerance (iat ahead, exp just past)", async () => {
    resignIdToken((claims) => ({ ...claims, iat: now() + 5, exp: now() - 5 }));
    const { page, user } = await signIn(app, "test@fia1.fr");
    expect([page.status, user?.siret]).toEqual([200, "13002526500013"]);
  });
});
