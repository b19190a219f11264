// usager/connexion-siret-hint.feature
import { describe, expect, it } from "vitest";
import { TestBrowser } from "../../lib/testing/index.js";
import { unescapeHtml } from "../../lib/testing/browser.js";
import { toRp } from "../helpers/emulator.js";
import { scenario, SP, useFederation } from "./harness.js";
import { agent, loginFormOf, spAuthorizeParams } from "./usager.js";

const FEATURE = "connexion-siret-hint";

const emulator = useFederation({ identities: [agent("test@fia1.fr")] });

describe("connexion-siret-hint.feature", () => {
  it(scenario(FEATURE, 4, "Le FS fournit le siret_hint à ProConnect"), async () => {
    const params = spAuthorizeParams(SP.default, { siret_hint: "21340126800130" });
    // The emulator's login page is ProConnect's e-mail page and the default FI's page in one: it
    // shows what ProConnect sends that FI ("la page du FI affiche le siret_hint").
    const page = await new TestBrowser().navigate(`${emulator().issuer}/authorize?${params}`, {
      stopAt: toRp,
    });
    expect(loginFormOf(page.body)).toBeDefined();
    const shown = /<pre data-fi-request>([^<]*)<\/pre>/.exec(page.body)?.[1];
    expect(shown).toBeDefined();
    const request = JSON.parse(unescapeHtml(shown!)) as Record<string, unknown>;
    expect(request.siret_hint).toBe("21340126800130");
    expect(unescapeHtml(shown!)).toContain('"siret_hint": "21340126800130"');
  });
});
