// api/api-redirect-to-idp.feature
// ProConnect's e-mail form posts to /redirect-to-idp with a CSRF token its page issued; the emulator's
// login page posts to its own route, so its /redirect-to-idp refuses every form as the server refuses
// a token it did not issue.
import { describe, expect, it } from "vitest";
import { TestBrowser } from "../../lib/testing/index.js";
import { toRp } from "../helpers/emulator.js";
import { authorizeParams, errorPageOf, scenario, useFederation } from "./harness.js";

const emulator = useFederation();

describe("api-redirect-to-idp.feature", () => {
  it(scenario("api-redirect-to-idp", 4, "API redirect-to-idp - Not valid CSRF token"), async () => {
    const browser = new TestBrowser();
    // "je suis redirigé vers la page interaction".
    const page = await browser.navigate(
      `${emulator().issuer}/authorize?${authorizeParams().toString()}`,
      { stopAt: toRp },
    );
    expect(page.url.pathname).toMatch(/^\/api\/v2\/interaction\/[^/]+$/);
    // api-common.json's "redirect-to-idp", with the browser's cookies.
    const response = await browser.fetch(`${emulator().issuer}/redirect-to-idp`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        email: "test@fia1.fr",
        scope: "openid profile",
        acr_values: "eidas1",
        csrfToken: "3f42c6c16ef2f1fc63ae9f8ee85b476819e204c91cdb68f39be01ed3faec42f2",
      }).toString(),
    });
    expect(response.headers.get("content-type")).toContain("text/html");
    const body = await response.text();
    expect(body).toContain("<html");
    expect(errorPageOf(body).code).toBe("Y470001");
  });
});
