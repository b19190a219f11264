// usager/connexion-login-hint.feature
import { describe, expect, it } from "vitest";
import { TestBrowser } from "../../lib/testing/index.js";
import { login, redeem, scenario, SP, useFederation } from "./harness.js";
import { agent, spAuthorizeParams } from "./usager.js";

const FEATURE = "connexion-login-hint";

// The emulator's login page is ProConnect's e-mail page and the FI's login page in one: the FI that
// gets the address as login_hint signs in the person of that address.
const emulator = useFederation({
  identities: [
    agent("fia@fia1.fr", "fia1v2"),
    agent("test-login-hint@fia1.fr", "fia1v2"),
    agent("test-login-hint@fia2.fr", "fia2v2"),
  ],
});

describe("connexion-login-hint.feature", () => {
  it(scenario(FEATURE, 5, "ProConnect fournit le login_hint au FI"), async () => {
    const { callback } = await login(emulator(), spAuthorizeParams(SP.default), {
      email: "fia@fia1.fr",
    });
    const { userinfo } = await redeem(emulator(), callback!);
    expect(userinfo.email).toBe("fia@fia1.fr");
    expect(userinfo.idp_id).toBe("fia1v2");
  });

  it(scenario(FEATURE, 13, "Le FS fournit le login_hint à ProConnect"), async () => {
    const browser = new TestBrowser();
    // Straight to the FI of that address, which signs its person in: no page on the way.
    const first = await login(
      emulator(),
      spAuthorizeParams(SP.default, { login_hint: "test-login-hint@fia1.fr" }),
      {},
      browser,
    );
    const { userinfo } = await redeem(emulator(), first.callback!);
    expect(userinfo.email).toBe("test-login-hint@fia1.fr");
    // Another address: ProConnect's session is not reused, the other FI gets it.
    const second = await login(
      emulator(),
      spAuthorizeParams(SP.default, { login_hint: "test-login-hint@fia2.fr" }),
      {},
      browser,
    );
    const { userinfo: other } = await redeem(emulator(), second.callback!);
    expect(other.email).toBe("test-login-hint@fia2.fr");
    expect(other.idp_id).toBe("fia2v2");
  });
});
