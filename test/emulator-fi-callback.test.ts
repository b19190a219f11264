// The emulator's /api/v2/oidc-callback beyond api-oidc-callback.feature: no FI request, a replay.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestBrowser, type ProConnectEmulator } from "../lib/testing/index.js";
import {
  authorizationRequest,
  discover,
  errorCode,
  startTestEmulator,
  toRp,
} from "./helpers/emulator.js";

let emulator: ProConnectEmulator;
beforeAll(async () => {
  emulator = await startTestEmulator();
});
afterAll(() => emulator.close());

describe("the emulator's callback from the FIs", () => {
  it("answers Y030110 when no login waits for an FI", async () => {
    const response = await fetch(`${emulator.issuer}/oidc-callback?code=x&state=y`);
    expect(response.status).toBe(400);
    expect(errorCode(await response.text())).toBe("Y030110");
  });

  it("forgets the FI request once answered, as the server does against replays", async () => {
    const browser = new TestBrowser();
    const { url } = await authorizationRequest(await discover(emulator));
    const page = await browser.navigate(url, { stopAt: toRp });
    const state = /data-fi-state="([^"]+)"/.exec(page.body)?.[1] ?? "";
    const first = await browser.fetch(
      `${emulator.issuer}/oidc-callback?state=${state}&error=access_denied`,
    );
    expect(first.status).toBe(502);
    expect(errorCode(await first.text())).toBe("Y020032");
    const replay = await browser.fetch(
      `${emulator.issuer}/oidc-callback?state=${state}&error=access_denied`,
    );
    expect(errorCode(await replay.text())).toBe("Y030110");
    // The login itself goes on at the emulator's page.
    const signedIn = await browser.navigate(url, { email: "test@fia1.fr", stopAt: toRp });
    expect(signedIn.location?.searchParams.get("code")).toEqual(expect.any(String));
  });

  it("refuses a form posted to /redirect-to-idp without a CSRF token with Y470002", async () => {
    const response = await fetch(`${emulator.issuer}/redirect-to-idp`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "email=test%40fia1.fr",
    });
    expect(response.status).toBe(500);
    expect(errorCode(await response.text())).toBe("Y470002");
  });
});
