// usager/connexion-email-verification.feature
import { describe, expect, it } from "vitest";
import { TestBrowser, type Page } from "../../lib/testing/index.js";
import { toRp } from "../helpers/emulator.js";
import { login, redeem, scenario, SP, useFederation } from "./harness.js";
import { agent, codeFormOf, spAuthorizeParams } from "./usager.js";

const FEATURE = "connexion-email-verification";
const MFA = ["eidas0-mfa", "eidas1-mfa", "eidas2", "eidas3"];

// pc@fia2.fr's FI answers eidas1 and cannot do MFA: ProConnect sends a code by e-mail.
const emulator = useFederation({
  identities: [agent("pc@fia2.fr", "fia2v2"), agent("pc+aaaaaaaaa@fia2.fr", "fia2v2")],
});

const requires = (acr: { value?: string; values?: string[] }, amr: unknown = null) => ({
  claims: { id_token: { amr, acr: { essential: true, ...acr } } },
});

/** Up to ProConnect's e-mail code page, after the FI's login ("je m'authentifie"). */
async function toCodePage(
  email: string,
  custom: Record<string, unknown> = requires({ values: MFA }),
  clientId: string = SP.default,
  browser = new TestBrowser(),
): Promise<{ browser: TestBrowser; page: Page; params: URLSearchParams }> {
  const params = spAuthorizeParams(clientId, custom);
  const page = await browser.navigate(`${emulator().issuer}/authorize?${params}`, {
    email,
    emailCode: false,
    stopAt: toRp,
  });
  // "je suis redirigé vers la page de vérification de l'email"
  expect(page.status).toBe(200);
  expect(page.url.pathname).toMatch(/\/verification-email$/);
  expect(codeFormOf(page.body)).toBeDefined();
  return { browser, page, params };
}

/** "un e-mail a été envoyé à …": the page says so (its fr-alert--info). */
const sentTo = (page: Page, email: string) =>
  expect(page.body).toMatch(
    new RegExp(
      `role="status">Code de vérification envoyé : vérifiez les e-mails envoyés à <strong>${email.replace(/[.+]/g, "\\$&")}</strong>`,
    ),
  );

/** "je rentre le code de confirmation …" */
function typeCode(browser: TestBrowser, page: Page, code: string) {
  return browser.navigate(new URL(codeFormOf(page.body)!, page.url), {
    method: "POST",
    form: { verify_email_token: code },
    emailCode: false,
    stopAt: toRp,
  });
}

/** "je vois un bouton « Recevoir un nouveau code » désactivé" */
const resendDisabled = (page: Page) =>
  expect(page.body).toMatch(
    /<button type="submit" class="secondary" disabled[^>]*>Recevoir un nouveau code<\/button>/,
  );

/** "je vois le message d'erreur …" (its fr-alert--error) */
const errorShown = (page: Page, message: string) =>
  expect(page.body).toContain(`role="alert">${message.replace(/'/g, "&#39;")}</p>`);

describe("connexion-email-verification.feature", () => {
  it(
    scenario(FEATURE, 13, "on vérifie mon e-mail, je rafraîchis, un seul e-mail est envoyé"),
    async () => {
      const { browser, page } = await toCodePage("pc@fia2.fr");
      sentTo(page, "pc@fia2.fr");
      const code = emulator().lastEmailCode("pc@fia2.fr");
      expect(code).toMatch(/^\d{8}$/);
      // "je rafraîchis la page": nothing sent again, the same code still valid.
      const refreshed = await browser.navigate(page.url, { emailCode: false });
      expect(refreshed.status).toBe(200);
      expect(refreshed.body).not.toContain("Code de vérification envoyé");
      expect(emulator().lastEmailCode("pc@fia2.fr")).toBe(code);
      await typeCode(browser, refreshed, code!); // the next scenario starts with a new code
    },
  );

  it(scenario(FEATURE, 27, "on vérifie mon e-mail mais je rentre le mauvais code"), async () => {
    const { browser, page } = await toCodePage("pc@fia2.fr");
    sentTo(page, "pc@fia2.fr");
    const code = emulator().lastEmailCode("pc@fia2.fr")!;
    const wrong = code === "00000000" ? " 11111111 " : " 00000000 ";
    const after = await typeCode(browser, page, wrong);
    expect(after.location).toBeUndefined();
    errorShown(after, "Le code rentré est invalide ou expiré.");
    await typeCode(browser, after, code);
  });

  it(scenario(FEATURE, 42, "on vérifie mon e-mail, je rentre le bon code"), async () => {
    const { browser, page } = await toCodePage(
      "pc@fia2.fr",
      requires({ values: MFA }, { essential: true }),
    );
    sentTo(page, "pc@fia2.fr");
    resendDisabled(page);
    const after = await typeCode(browser, page, emulator().lastEmailCode("pc@fia2.fr")!);
    const { idToken } = await redeem(emulator(), after.location!);
    expect(idToken.acr).toBe("eidas1-mfa");
    expect(idToken.amr).toEqual(["pwd", "mail"]);
  });

  it(
    scenario(FEATURE, 61, "la session est ré-utilisée si un autre FS demande le même ACR"),
    async () => {
      const custom = requires({ value: "eidas1-mfa" });
      const { browser, page } = await toCodePage("pc@fia2.fr", custom, SP.default);
      sentTo(page, "pc@fia2.fr");
      resendDisabled(page);
      const first = await typeCode(browser, page, emulator().lastEmailCode("pc@fia2.fr")!);
      expect(first.location?.pathname).toBe(`/${SP.default}/oidc-callback`);
      expect((await redeem(emulator(), first.location!)).idToken.acr).toBe("eidas1-mfa");

      const second = await login(emulator(), spAuthorizeParams(SP.second, custom), {}, browser);
      expect(second.callback?.pathname).toBe(`/${SP.second}/oidc-callback`);
      const { idToken, userinfo } = await redeem(emulator(), second.callback!, SP.second);
      expect(idToken.acr).toBe("eidas1-mfa");
      expect(userinfo.email).toBe("pc@fia2.fr");
    },
  );

  it(scenario(FEATURE, 81, "on vérifie mon e-mail, je fais trop de tentatives"), async () => {
    const email = "pc+aaaaaaaaa@fia2.fr";
    const { browser, page } = await toCodePage(email);
    sentTo(page, email);
    const wrong = emulator().lastEmailCode(email) === "00000000" ? "11111111" : "00000000";
    let current = page;
    for (let attempt = 0; attempt < 10; attempt++) {
      current = await typeCode(browser, current, wrong);
    }
    errorShown(current, "Le code rentré est invalide ou expiré.");
    const blocked = await typeCode(browser, current, wrong);
    errorShown(
      blocked,
      "Vous avez dépassé le nombre de tentatives autorisées. Veuillez réessayer plus tard.",
    );
  });
});
