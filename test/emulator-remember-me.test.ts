// The login page's « Mémoriser mon adresse sur cet appareil » beyond connexion-local-storage.feature.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestBrowser, type ProConnectEmulator } from "../lib/testing/index.js";
import { authorizationRequest, discover, startTestEmulator, toRp } from "./helpers/emulator.js";

let emulator: ProConnectEmulator;
beforeAll(async () => {
  emulator = await startTestEmulator();
});
afterAll(() => emulator.close());

const emailField = (html: string) => /<input id="email"[^>]* value="([^"]*)"/.exec(html)?.[1];

async function loginPage(browser: TestBrowser, params: Record<string, string> = {}) {
  const { url } = await authorizationRequest(await discover(emulator), params);
  return browser.navigate(url, { stopAt: toRp });
}

describe("the login page's remembered address", () => {
  it("remembers a login_hint the page shows, as ProConnect's script does", async () => {
    const browser = new TestBrowser();
    // An address no test identity has: the page shows, pre-filled.
    const hinted = await loginPage(browser, { login_hint: "inconnu@fia1.fr" });
    expect(emailField(hinted.body)).toBe("inconnu@fia1.fr");
    expect(emailField((await loginPage(browser)).body)).toBe("inconnu@fia1.fr");
  });

  it("keeps the address to the login pages alone, and ignores an undecodable cookie", async () => {
    const browser = new TestBrowser();
    await loginPage(browser, { login_hint: "inconnu@fia1.fr" });
    expect(browser.cookieHeader(`${emulator.issuer}/token`)).not.toContain("pc_remembered_email");
    const page = await loginPage(browser);
    const broken = await fetch(page.url, {
      headers: {
        cookie: browser
          .cookieHeader(page.url)
          .replace(/pc_remembered_email=[^;]*/, "pc_remembered_email=%E0%A4%A"),
      },
    });
    expect(broken.status).toBe(200);
    expect(emailField(await broken.text())).toBe("");
  });

  it("forgets it when the e-mail form is sent with the box unticked", async () => {
    const browser = new TestBrowser();
    const first = await loginPage(browser, { login_hint: "inconnu@fia1.fr" });
    const action = /<form method="post" action="([^"]+)"/.exec(first.body)?.[1] ?? "";
    const signedIn = await browser.navigate(new URL(action, first.url), {
      method: "POST",
      form: { email: "test@fia1.fr" },
      stopAt: toRp,
    });
    expect(signedIn.location?.searchParams.get("code")).toEqual(expect.any(String));
    await browser.navigate(`${emulator.issuer}/session/end?client_id=test-app`);
    expect(emailField((await loginPage(browser)).body)).toBe("");
  });
});
