// The logger contract the ecosystem uses: pino's (and bunyan's) `warn(details, message)`, with real pino.
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { proconnect, requireBearer } from "../lib/index.js";
import type { ProConnectEmulator } from "../lib/testing/index.js";
import { useTestApp } from "./helpers/app.js";
import { pinoInMemory } from "./helpers/logs.js";
import { signIn, withApp } from "./helpers/refusals.js";

let emulator: ProConnectEmulator;

useTestApp((started) => ({ emulator } = started));

describe("logger: pino", () => {
  it("keeps the details as fields of the JSON line (the claim's name, the sub), never the claim's value", async () => {
    const { logger, lines } = pinoInMemory();
    await withApp(emulator, { options: { scopes: ["email", "phone"], logger } }, async (app) => {
      emulator.setTamper({
        claims: (claims, { use }) =>
          use === "userinfo" ? { ...claims, phone_number: "not a phone" } : claims,
      });
      const { user } = await signIn(app, "test@fia1.fr");
      expect(user).not.toHaveProperty("phone_number");
      const warning = lines.find((line) => line.claim === "phone_number");
      expect(warning).toMatchObject({
        level: 40,
        claim: "phone_number",
        sub: user!.sub,
        msg: "proconnect: dropped the invalid userinfo claim phone_number",
      });
      expect(JSON.stringify(lines)).not.toContain("not a phone");
    });
  });

  it("is accepted by proconnect() and requireBearer() as it is, and console too", () => {
    const connection = { clientId: "x", clientSecret: "y", issuer: emulator.issuer };
    for (const logger of [pino(), console]) {
      expect(() =>
        proconnect({ ...connection, baseUrl: "http://127.0.0.1:1", logger }),
      ).not.toThrow();
      expect(() => requireBearer({ ...connection, allowedClients: ["x"], logger })).not.toThrow();
    }
  });

  it("refuses a logger whose info or debug is not a function", () => {
    const connection = { clientId: "x", clientSecret: "y", issuer: emulator.issuer };
    const logger = { warn: () => undefined, info: "loud" } as never;
    expect(() => proconnect({ ...connection, baseUrl: "http://127.0.0.1:1", logger })).toThrow(
      /logger/,
    );
  });
});
