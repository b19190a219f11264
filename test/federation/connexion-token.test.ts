// usager/connexion-token.feature
import { describe, expect, it } from "vitest";
import { TestBrowser } from "../../lib/testing/index.js";
import { scenario, useFederation } from "./harness.js";
import { MockServiceProvider } from "./service-provider.js";

const emulator = useFederation();

describe("connexion-token.feature", () => {
  it(scenario("connexion-token", 5, "Token non valide après révocation"), async () => {
    const sp = new MockServiceProvider(emulator());
    const signedIn = await sp.signIn(new TestBrowser(), { email: "test@fia1.fr" });
    await sp.revoke(signedIn);
    // openid-client reads the userinfo's 401 and its WWW-Authenticate challenge.
    const error = await sp.fetchUserinfo(signedIn).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe("WWWAuthenticateChallengeError");
    expect((error as { status?: number }).status).toBe(401);
  });
});
