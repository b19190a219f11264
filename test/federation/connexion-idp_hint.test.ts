// usager/connexion-idp_hint.feature
import { describe, expect, it } from "vitest";
import { toRp } from "../helpers/emulator.js";
import { callbackParams, login, redeem, scenario, SP, useFederation } from "./harness.js";
import { agent, loginFormOf, signInAt, spAuthorizeParams } from "./usager.js";

const FEATURE = "connexion-idp_hint";
// The fixtures' "premier FI" (par défaut) and "second FI". With an idp_hint, the emulator signs in
// that FI's person at once (its login page is the FI's own); "abandoned-fi" has no one to sign in,
// so its login page shows, and the person leaves it.
const FIRST_FI = "fia1v2";
const SECOND_FI = "fia2v2";

const emulator = useFederation({
  identities: [agent("test@fia1.fr", FIRST_FI), agent("test@fia2.fr", SECOND_FI)],
  identityProviders: { "abandoned-fi": {} },
});

describe("connexion-idp_hint.feature", () => {
  it(scenario(FEATURE, 5, "Connexion avec idp_hint valide"), async () => {
    const { callback } = await login(
      emulator(),
      spAuthorizeParams(SP.default, { idp_hint: FIRST_FI }),
    );
    const { userinfo } = await redeem(emulator(), callback!);
    expect(userinfo.idp_id).toBe(FIRST_FI);
    expect(userinfo.email).toBe("test@fia1.fr");
  });

  it(scenario(FEATURE, 14, "idp_hint valide et session ouverte avec le même FI"), async () => {
    const first = await signInAt(emulator(), SP.default, { as: { email: "test@fia1.fr" } });
    expect(first.userinfo.idp_id).toBe(FIRST_FI);
    // No login page: ProConnect's session is reused (SSO).
    const { userinfo } = await signInAt(emulator(), SP.second, {
      custom: { idp_hint: FIRST_FI },
      browser: first.browser,
    });
    expect(userinfo.email).toBe("test@fia1.fr");
  });

  it(scenario(FEATURE, 29, "idp_hint valide et session ouverte avec un FI différent"), async () => {
    const { browser } = await signInAt(emulator(), SP.default, { as: { email: "test@fia1.fr" } });
    // A new login at the second FI, whose person the emulator signs in.
    const { userinfo } = await signInAt(emulator(), SP.second, {
      custom: { idp_hint: SECOND_FI },
      browser,
    });
    expect(userinfo.idp_id).toBe(SECOND_FI);
    expect(userinfo.email).toBe("test@fia2.fr");
  });

  it(scenario(FEATURE, 43, "Connexion avec idp_hint invalide"), async () => {
    const params = spAuthorizeParams(SP.default, { idp_hint: "not-an-idp-id" });
    const { callback } = await login(emulator(), params);
    expect(callback?.href).toContain("/oidc-callback?error=");
    expect(callback?.href).toContain("error=idp_hint_not_found");
    expect(callback?.href).toContain(
      "error_description=provided%20idp_hint%20could%20not%20be%20found",
    );
    expect(callbackParams(callback!.href).params.get("state")).toBe(params.get("state"));
  });

  it(scenario(FEATURE, 52, "SSO après une cinématique idp_hint non terminée"), async () => {
    const { browser } = await signInAt(emulator(), SP.default, { as: { email: "test@fia1.fr" } });
    // The third FS sends the person to another FI, whose login page the person leaves. ProConnect's
    // getInteraction has already cleared its session (the hinted FI is not the session's).
    const hinted = spAuthorizeParams(SP.third, { scope: "openid email", idp_hint: "abandoned-fi" });
    const left = await browser.navigate(`${emulator().issuer}/authorize?${hinted}`, {
      stopAt: toRp,
    });
    expect(loginFormOf(left.body)).toBeDefined();
    // At the second FS: the interaction page, then "je clique sur le bouton de connexion" with the
    // address remembered; the default FI's own session signs the person in again.
    const page = await browser.navigate(
      `${emulator().issuer}/authorize?${spAuthorizeParams(SP.second)}`,
      {
        stopAt: toRp,
      },
    );
    const action = loginFormOf(page.body);
    expect(action).toBeDefined();
    const back = await browser.navigate(new URL(action!, page.url), {
      method: "POST",
      form: { email: "test@fia1.fr" },
      stopAt: toRp,
    });
    expect(back.location?.pathname).toBe(`/${SP.second}/oidc-callback`);
    const { userinfo } = await redeem(emulator(), back.location!, SP.second);
    expect(userinfo.idp_id).toBe(FIRST_FI);
  });
});
