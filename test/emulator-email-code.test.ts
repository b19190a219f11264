// The e-mail code (MFA) for a person at the keyboard: the emulator sends no e-mail, so its code page
// shows the code in a development notice, and its host gets each code through `onEmailCode`.
import type * as client from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  startProConnectEmulator,
  TestBrowser,
  type EmailCodeSent,
  type ProConnectEmulator,
} from "../lib/testing/index.js";
import { unescapeHtml } from "../lib/testing/browser.js";
import {
  authorizationRequest,
  discover,
  exchange,
  startTestEmulator,
  testClient,
  toRp,
} from "./helpers/emulator.js";

const mfaClaims = JSON.stringify({
  id_token: { acr: { essential: true, values: ["eidas1-mfa"] } },
});

/** The text of the development notice, tags removed, as a person reads it. */
function noticeText(html: string): string | undefined {
  const section = /<section class="dev-notice"[^>]*>([\s\S]*?)<\/section>/.exec(html)?.[1];
  return section === undefined ? undefined : unescapeHtml(section.replace(/<[^>]+>/g, ""));
}

let emulator: ProConnectEmulator;
let config: client.Configuration;
const sent: EmailCodeSent[] = [];

beforeAll(async () => {
  emulator = await startTestEmulator({ onEmailCode: (letter) => sent.push(letter) });
  config = await discover(emulator);
});
afterAll(() => emulator?.close());

describe("the e-mail code page's development notice and onEmailCode", () => {
  it("calls onEmailCode once per code sent, and shows that code in a notice saying it is the emulator", async () => {
    sent.length = 0;
    const browser = new TestBrowser();
    const request = await authorizationRequest(config, { claims: mfaClaims });
    const page = await browser.navigate(request.url, { email: "test@fia1.fr", emailCode: false });
    expect(page.url.pathname).toMatch(/\/verification-email$/);
    const code = emulator.lastEmailCode("test@fia1.fr");
    expect(sent).toEqual([{ email: "test@fia1.fr", code }]);
    const notice = noticeText(page.body);
    expect(notice).toContain("Émulateur local, pas ProConnect : aucun e-mail n'est envoyé");
    expect(notice).toContain("En production, ProConnect envoie ce code par e-mail");
    expect(notice).toContain(`Code envoyé à test@fia1.fr : ${code}`);
    expect(page.body).toContain('aria-labelledby="dev-notice-title"');

    // Shown again within ProConnect's 10 minutes: the same code, not sent again.
    const again = await browser.navigate(page.url, { emailCode: false });
    expect(noticeText(again.body)).toContain(code);
    expect(sent).toHaveLength(1);

    // After a wrong code, still the valid one; typed from the notice, the login goes on.
    const wrong = await browser.navigate(page.url, {
      method: "POST",
      form: { verify_email_token: code === "00000000" ? "11111111" : "00000000" },
    });
    expect(wrong.status).toBe(400);
    expect(noticeText(wrong.body)).toContain(code);
    const typed = /Code envoyé à \S+ : (\d{8})/.exec(noticeText(wrong.body)!)![1]!;
    const done = await browser.navigate(page.url, {
      method: "POST",
      form: { verify_email_token: typed },
      stopAt: toRp,
    });
    expect((await exchange(config, done.location!, request)).claims()?.acr).toBe("eidas1-mfa");
  });

  it("shows no code once too many wrong ones blocked it", async () => {
    const browser = new TestBrowser();
    const request = await authorizationRequest(config, { claims: mfaClaims });
    const page = await browser.navigate(request.url, {
      email: "test@fia1.fr",
      emailCode: false,
    });
    const code = emulator.lastEmailCode("test@fia1.fr")!;
    const wrongCode = code === "00000000" ? "11111111" : "00000000";
    let last = page;
    for (let attempt = 0; attempt <= 10; attempt++) {
      last = await browser.navigate(page.url, {
        method: "POST",
        form: { verify_email_token: wrongCode },
      });
    }
    expect(last.status).toBe(429);
    expect(noticeText(last.body)).toContain("Aucun code valide à afficher");
    expect(noticeText(last.body)).not.toContain(code);
    // Nor when the page is shown again.
    const again = await browser.navigate(page.url, { emailCode: false });
    expect(noticeText(again.body)).toContain("Aucun code valide à afficher");
  });

  it("refuses an onEmailCode that is not a function, naming it", async () => {
    await expect(
      startProConnectEmulator({
        clients: [testClient()],
        onEmailCode: "print" as unknown as () => void,
      }),
    ).rejects.toThrow(/onEmailCode/);
  });
});
