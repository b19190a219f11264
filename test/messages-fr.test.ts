// The French messages for people: one per ProConnectError code, complete, frozen, precise where the
// error says more, and never a claim's value.
import { describe, expect, it } from "vitest";
import {
  PROCONNECT_ERROR_CODES,
  PROCONNECT_MESSAGES_FR,
  ProConnectError,
  proconnectMessageFr,
  type ProConnectErrorCode,
} from "../lib/index.js";

const CODES = Object.keys(PROCONNECT_ERROR_CODES) as ProConnectErrorCode[];
// A sentence in French has some of these; an English one (a developer message) has none.
const FRENCH = /\b(le|la|les|de|du|des|votre|vous|ce|cette|est|pas|une?)\b/i;

describe("PROCONNECT_MESSAGES_FR", () => {
  it("has a complete French message for every code, and none for a code that does not exist", () => {
    expect(Object.keys(PROCONNECT_MESSAGES_FR).sort()).toEqual([...CODES].sort());
    for (const code of CODES) {
      const message = PROCONNECT_MESSAGES_FR[code];
      expect([code, typeof message?.title, typeof message?.retry]).toEqual([
        code,
        "string",
        "boolean",
      ]);
      for (const text of [message.title, message.explanation, message.nextStep]) {
        expect(text.trim().length, `${code}: ${text}`).toBeGreaterThan(5);
      }
      expect(`${message.explanation} ${message.nextStep}`, code).toMatch(FRENCH);
      expect(Object.isFrozen(message), code).toBe(true);
    }
    expect(Object.isFrozen(PROCONNECT_MESSAGES_FR)).toBe(true);
  });

  it("leaves the errors' own messages in English, for developers", () => {
    const error = new ProConnectError("invalid_state", "the state is unknown");
    expect(error.message).toBe("the state is unknown");
    expect(proconnectMessageFr(error)).toBe(PROCONNECT_MESSAGES_FR.invalid_state);
  });
});

describe("proconnectMessageFr()", () => {
  it("names the information the identity provider did not send, in words, never its value", () => {
    const error = new ProConnectError("invalid_user_claims", "siret: 123 is not a SIRET", {
      claims: ["siret", "email", "an_unknown_claim"],
    });
    const message = proconnectMessageFr(error);
    expect(message.explanation).toContain(
      "n'a pas transmis le numéro SIRET de votre établissement et votre adresse e-mail",
    );
    expect(message.explanation).not.toContain("123");
    expect(message.title).toBe(PROCONNECT_MESSAGES_FR.invalid_user_claims.title);
  });

  it("takes a code as well as an error, and gives an unknown code the provider error's message", () => {
    expect(proconnectMessageFr("timeout")).toBe(PROCONNECT_MESSAGES_FR.timeout);
    expect(proconnectMessageFr("no_such_code" as ProConnectErrorCode)).toBe(
      PROCONNECT_MESSAGES_FR.provider_error,
    );
  });
});
