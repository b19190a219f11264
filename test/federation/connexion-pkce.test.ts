// usager/connexion-pkce.feature
import { describe, expect, it } from "vitest";
import { TestBrowser } from "../../lib/testing/index.js";
import { scenario, useFederation } from "./harness.js";
import { expectSpError, redeemAt, spRequest, toCallback } from "./sp-requests.js";

const emulator = useFederation();

describe("connexion-pkce.feature", () => {
  it(scenario("connexion-pkce", 4, "Authentification nominale avec PKCE"), async () => {
    const request = await spRequest(emulator(), { pkce: true });
    expect(request.url.searchParams.get("code_challenge_method")).toBe("S256");
    const callback = await toCallback(new TestBrowser(), request, { email: "test@fia1.fr" });
    const signedIn = await redeemAt(request, callback);
    expect(signedIn.userinfo.sub).toBe(signedIn.idToken.sub);
  });

  it(
    scenario("connexion-pkce", 12, "Authentification avec PKCE sans code_challenge_method"),
    async () => {
      const request = await spRequest(emulator(), {
        pkce: true,
        set: { code_challenge_method: undefined },
      });
      const callback = await toCallback(new TestBrowser(), request);
      expectSpError(
        callback,
        "invalid_request",
        "plain%20code_challenge_method%20fallback%20disabled%2C%20code_challenge_method%20must%20be%20provided",
      );
    },
  );

  it(
    scenario("connexion-pkce", 20, "Authentification avec PKCE avec code_challenge_method plain"),
    async () => {
      const request = await spRequest(emulator(), {
        pkce: true,
        set: { code_challenge_method: "plain" },
      });
      const callback = await toCallback(new TestBrowser(), request);
      expectSpError(
        callback,
        "invalid_request",
        "not%20supported%20value%20of%20code_challenge_method",
      );
    },
  );
});
