// usager/connexion-prompt.feature
import { describe, expect, it } from "vitest";
import { TestBrowser } from "../../lib/testing/index.js";
import { scenario, SP, useFederation } from "./harness.js";
import { defaultCustomParams } from "./service-provider.js";
import { expectSpError, redeemAt, spRequest, toCallback } from "./sp-requests.js";

const emulator = useFederation();

/** "je rentre … dans le champ prompt": the mock's prompt field, beside its default parameters. */
const withPrompt = (prompt: string) => ({ ...defaultCustomParams(), prompt });

describe("connexion-prompt.feature", () => {
  it(scenario("connexion-prompt", 4, "Prompt=none pour un utilisateur déjà connecté"), async () => {
    const browser = new TestBrowser();
    const first = await spRequest(emulator(), { clientId: SP.default });
    const atFirst = await toCallback(browser, first, { email: "test@fia1.fr" });
    expect(atFirst.pathname).toBe(`/${SP.default}/oidc-callback`);
    const signedInFirst = await redeemAt(first, atFirst);

    const second = await spRequest(emulator(), { clientId: SP.second, custom: withPrompt("none") });
    // No login page: ProConnect's session answers, the browser goes straight back to the second FS.
    const atSecond = await toCallback(browser, second);
    expect(atSecond.pathname).toBe(`/${SP.second}/oidc-callback`);
    expect(atSecond.searchParams.get("error")).toBeNull();
    const signedInSecond = await redeemAt(second, atSecond);
    expect(signedInSecond.userinfo.sub).toBe(signedInSecond.idToken.sub);
    expect(signedInSecond.userinfo.email).toBe(signedInFirst.userinfo.email);
  });

  it(scenario("connexion-prompt", 18, "Prompt=none pour un utilisateur non connecté"), async () => {
    const request = await spRequest(emulator(), { custom: withPrompt("none") });
    const callback = await toCallback(new TestBrowser(), request);
    expectSpError(callback, "login_required", "End-User%20authentication%20is%20required");
  });

  it(scenario("connexion-prompt", 26, "Prompt non supporté"), async () => {
    const request = await spRequest(emulator(), { custom: withPrompt("select_account") });
    const callback = await toCallback(new TestBrowser(), request);
    expectSpError(callback, "invalid_request", "unsupported%20prompt%20value%20requested");
  });
});
