// ProConnect's accounts (account-fca.service.ts getOrCreateAccount) beyond what its features check:
// reconciliation by e-mail goes only from another FI towards the default one, and a new account's sub.
import { describe, expect, it } from "vitest";
import { TestBrowser } from "../lib/testing/index.js";
import { person, signInAt, signOut } from "./federation/fi-people.js";
import { authorizeParams, errorPageOf, login, useFederation } from "./federation/harness.js";

/** Two logins in one browser, signed out in between: the two subs the client got. */
async function twoLogins(emulator: Parameters<typeof signInAt>[0], first: string, second: string) {
  const browser = new TestBrowser();
  const one = await signInAt(emulator, { sub: first }, undefined, browser);
  await signOut(emulator, browser, String(one.tokens.id_token));
  const two = await signInAt(emulator, { sub: second }, undefined, browser);
  return [one.sub, two.sub];
}

describe("the emulator's ProConnect accounts", () => {
  const emulator = useFederation({
    identities: [
      person({ sub: "fia1-ada", email: "ada@example.com" }),
      person({ sub: "fia2-ada", idp_id: "fia2v2", email: "ada@example.com" }),
      person({ sub: "fia1-bob", email: "bob@example.com" }),
      person({ sub: "pci-bob", idp_id: "proconnect-identite", email: "bob@example.com" }),
      person({ sub: "compte-pris", email: "carl@fia1.fr" }),
      person({ sub: "user-deactivated", email: "user-deactivated@fia1.fr" }),
    ],
    accounts: [
      { sub: "compte-pris", identities: [{ idp_id: "fia2v2", sub: "carl-fia2" }] },
      // The fixtures' "deactivated" account (back/scripts/seed/data/account-fca.ts).
      {
        sub: "2c98c3a8-5094-45e9-9c85-7e453323c328",
        identities: [{ idp_id: "fia1v2", sub: "user-deactivated" }],
        active: false,
      },
    ],
  });

  it("ends the login of a blocked account on ProConnect's Y500024 page", async () => {
    const { status, body, callback } = await login(emulator(), authorizeParams(), {
      sub: "user-deactivated",
    });
    expect(callback).toBeUndefined();
    expect(status).toBe(400);
    expect(errorPageOf(body)).toMatchObject({ code: "Y500024", title: "Accès impossible" });
  });

  it("does not join two FIs other than the default one, whatever their e-mails", async () => {
    const [atFia1, atFia2] = await twoLogins(emulator(), "fia1-ada", "fia2-ada");
    expect(atFia1).toBe("fia1-ada");
    expect(atFia2).toBe("fia2-ada");
  });

  it("does not join a login at the default FI to another FI's account with its e-mail", async () => {
    const [atFia1, atPci] = await twoLogins(emulator(), "fia1-bob", "pci-bob");
    expect(atPci).not.toBe(atFia1);
  });

  it("gives a new account a UUID when its FI's sub is already an account's", async () => {
    const { sub } = await signInAt(emulator(), { sub: "compte-pris" });
    expect(sub).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  describe("with another default FI", () => {
    const withMcp = useFederation({
      identities: [
        person({ sub: "mcp-dora", idp_id: "moncomptepro", email: "dora@example.com" }),
        person({ sub: "fia1-dora", email: "Dora@Example.com" }),
      ],
      defaultIdpId: "moncomptepro",
    });

    it("joins a login at another FI to the default FI's account of the same e-mail", async () => {
      const [atMcp, atFia1] = await twoLogins(withMcp(), "mcp-dora", "fia1-dora");
      expect(atMcp).toBe("mcp-dora");
      expect(atFia1).toBe("mcp-dora");
    });
  });
});
