// usager/connexion-local-storage.feature
// ProConnect's e-mail page remembers the address in localStorage; the emulator's page keeps it in a
// cookie sent to its login pages (remember-me.ts). Its page is both ProConnect's and the FI's, so
// "je clique sur le bouton de connexion" signs the person in, and the FI's own page, with the
// `remember_me` ProConnect sends it ("la page du FI affiche remember_me"), is not there to read: those
// steps are not ported. Each round ends with a logout, which ends ProConnect's session (else the next
// round would be signed in by it, without the page) and keeps the address, as localStorage does.
import { describe, expect, it } from "vitest";
import { TestBrowser } from "../../lib/testing/index.js";
import { DEFAULT_IDENTITIES } from "../../lib/testing/identities.js";
import { toRp } from "../helpers/emulator.js";
import { authorizeParams, redeem, scenario, SP, useFederation } from "./harness.js";

const testAccount = DEFAULT_IDENTITIES.find((identity) => identity.email === "test@fia1.fr");
if (!testAccount) throw new Error("no test@fia1.fr among the default identities");
const person = (email: string, idp_id: string) => ({ ...testAccount, sub: email, email, idp_id });

const emulator = useFederation({
  identities: [
    ...DEFAULT_IDENTITIES,
    person("albus.dumbledore@example.com", "proconnect-identite"),
    person("albus.dumbledore@fia1.fr", "fia1v2"),
    person("severus.snape@fia2.fr", "fia2v2"),
  ],
});

/** "je clique sur le bouton ProConnect": the login page, its e-mail field and its box. */
async function clickProConnect(browser: TestBrowser, set: Record<string, string> = {}) {
  const page = await browser.navigate(
    `${emulator().issuer}/authorize?${authorizeParams(set).toString()}`,
    { stopAt: toRp },
  );
  const form = /<form method="post" action="([^"]+)"[^>]*>/.exec(page.body);
  return {
    page,
    action: form?.[1] ? new URL(form[1], page.url) : undefined,
    email: /<input id="email"[^>]* value="([^"]*)"/.exec(page.body)?.[1],
    remembered: /<input id="remember-me"[^>]* checked/.test(page.body),
  };
}

/** "j'entre l'email", the box ticked or not, "je clique sur le bouton de connexion"; then a logout. */
async function signInAndOut(
  browser: TestBrowser,
  action: URL | undefined,
  email: string,
  remember: boolean,
) {
  if (!action) throw new Error("no login page");
  const form: Record<string, string> = { email, ...(remember ? { rememberMe: "true" } : {}) };
  const signedIn = await browser.navigate(action, { method: "POST", form, stopAt: toRp });
  expect(signedIn.location?.searchParams.get("code")).toEqual(expect.any(String));
  await logout(browser);
  return signedIn.location;
}

async function logout(browser: TestBrowser) {
  const page = await browser.navigate(`${emulator().issuer}/session/end?client_id=${SP.default}`);
  expect(page.body).toContain("Vous êtes bien déconnecté");
}

describe("connexion-local-storage.feature", () => {
  for (const [email, idp] of [
    ["albus.dumbledore@example.com", "moncomptepro"],
    ["albus.dumbledore@fia1.fr", "par défaut"],
  ] as const) {
    it(
      scenario(
        "connexion-local-storage",
        5,
        `Case « Mémoriser mon adresse sur cet appareil » cochée puis décochée, ${email} (FI ${idp})`,
      ),
      async () => {
        const browser = new TestBrowser();
        const first = await clickProConnect(browser);
        expect(first.remembered).toBe(false);
        await signInAndOut(browser, first.action, email, true);
        const second = await clickProConnect(browser);
        expect(second.email).toBe(email);
        expect(second.remembered).toBe(true);
        await signInAndOut(browser, second.action, email, false);
        const third = await clickProConnect(browser);
        expect(third.email).toBe("");
        expect(third.remembered).toBe(false);
      },
    );
  }

  // @ignoreDocker upstream only because it runs on the integration platform: the emulator runs it too.
  it(
    scenario(
      "connexion-local-storage",
      32,
      "Case « Mémoriser mon adresse sur cet appareil » cochée puis décochée",
    ),
    async () => {
      const browser = new TestBrowser();
      const email = "albus.dumbledore@fia1.fr";
      await signInAndOut(browser, (await clickProConnect(browser)).action, email, true);
      const second = await clickProConnect(browser);
      expect(second.email).toBe(email);
      await signInAndOut(browser, second.action, email, false);
      expect((await clickProConnect(browser)).email).toBe("");
    },
  );

  it(
    scenario(
      "connexion-local-storage",
      53,
      "Case « Mémoriser mon adresse sur cet appareil » décochée",
    ),
    async () => {
      const browser = new TestBrowser();
      await signInAndOut(
        browser,
        (await clickProConnect(browser)).action,
        "albus.dumbledore@fia1.fr",
        false,
      );
      expect((await clickProConnect(browser)).email).toBe("");
    },
  );

  it(
    scenario(
      "connexion-local-storage",
      65,
      "Case « Mémoriser mon adresse sur cet appareil » puis login_hint",
    ),
    async () => {
      const browser = new TestBrowser();
      await signInAndOut(
        browser,
        (await clickProConnect(browser)).action,
        "albus.dumbledore@fia1.fr",
        true,
      );
      // With a login_hint, ProConnect's page is skipped: the FI gets the hinted address.
      const hinted = await clickProConnect(browser, {
        login_hint: "severus.snape@fia2.fr",
        scope: "openid email",
      });
      if (!hinted.page.location) throw new Error("the login_hint did not go straight to the FI");
      const { userinfo } = await redeem(emulator(), hinted.page.location);
      expect(userinfo.email).toBe("severus.snape@fia2.fr");
      await logout(browser);
      // The address remembered is still the first one.
      expect((await clickProConnect(browser)).email).toBe("albus.dumbledore@fia1.fr");
    },
  );
});
