// usager/connexion-redirect-uri.feature
import { describe, expect, it } from "vitest";
import { TestBrowser } from "../../lib/testing/index.js";
import { toRp } from "../helpers/emulator.js";
import { authorizeParams, errorPageOf, scenario, useFederation } from "./harness.js";

const emulator = useFederation();

describe("connexion-redirect-uri.feature", () => {
  for (const [redirectUri, code, message] of [
    // An empty value in the mock service provider's parameters is not sent at all.
    ["", "Y000400", "redirect_uri must match /^https?:\\/\\/[^/].+$/ regular expression"],
    [
      "example.com",
      "Y000400",
      "redirect_uri must match /^https?:\\/\\/[^/].+$/ regular expression",
    ],
    [
      "https://my-malicious-url.fr/callback",
      "oidc-provider-rendered-error:invalid_redirect_uri",
      "redirect_uri did not match any of the client's registered redirect_uris",
    ],
  ] as const) {
    it(scenario("connexion-redirect-uri", 5, `Erreur redirect_uri=${redirectUri}`), async () => {
      const params = redirectUri
        ? authorizeParams({ redirect_uri: redirectUri })
        : authorizeParams({}, ["redirect_uri"]);
      const page = await new TestBrowser().navigate(
        `${emulator().issuer}/authorize?${params.toString()}`,
        { stopAt: (url) => toRp(url) || url.hostname === "my-malicious-url.fr" },
      );
      expect(page.location).toBeUndefined();
      expect(page.status).toBe(400);
      expect(errorPageOf(page.body)).toMatchObject({ code, message, backLink: false });
    });
  }
});
