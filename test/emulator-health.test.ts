// The emulator's health routes beyond what api-health.feature checks (health.controller.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProConnectEmulator } from "../lib/testing/index.js";
import { startTestEmulator } from "./helpers/emulator.js";

let emulator: ProConnectEmulator;
beforeAll(async () => {
  emulator = await startTestEmulator();
});
afterAll(() => emulator.close());

describe("the emulator's health routes", () => {
  it("answers one check by name, in text/plain", async () => {
    const response = await fetch(`${emulator.issuer}/readyz/redis`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(await response.text()).toBe("[+]redis ok");
  });

  it("refuses an unknown check with ProConnect's Y000400 page", async () => {
    const response = await fetch(`${emulator.issuer}/readyz/postgres`);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('data-error-code="Y000400"');
  });

  it("ignores an excluded name that is no check, as the server does", async () => {
    const response = await fetch(`${emulator.issuer}/readyz?exclude=postgres&verbose`);
    expect(await response.text()).toBe(
      "[+]mongodb ok\n[+]redis ok\n[+]api-entreprise ok\n[+]hyyyperbridge ok\nreadyz check passed",
    );
  });
});
