import { describe, expect, it } from "vitest";
import { normalizeSiret } from "../lib/index.js";
import { DEFAULT_IDENTITIES } from "../lib/testing/index.js";
import { CERTIFICATION_DIRIGEANT } from "../lib/index.js";

const byEmail = (email: string) => DEFAULT_IDENTITIES.find((identity) => identity.email === email);

describe("DEFAULT_IDENTITIES", () => {
  it("includes ProConnect's test user test@fia1.fr on the fia1v2 identity provider", () => {
    expect(byEmail("test@fia1.fr")).toMatchObject({ idp_id: "fia1v2", siret: "13002526500013" });
  });

  it("includes users of a second identity provider", () => {
    expect(
      new Set(DEFAULT_IDENTITIES.map((identity) => identity.idp_id)).size,
    ).toBeGreaterThanOrEqual(3);
    expect(byEmail("jean.martin@fia2.fr")?.idp_id).toBe("fia2v2");
  });

  it("includes a company head who can reach the certification-dirigeant acr, and only one", () => {
    const heads = DEFAULT_IDENTITIES.filter((identity) =>
      (identity.acr as readonly string[]).includes(CERTIFICATION_DIRIGEANT),
    );
    expect(heads.map((head) => head.email)).toEqual(["marie.lefevre@yopmail.com"]);
  });

  it("has valid SIRETs except the three sent wrong on purpose", () => {
    const wrongOnPurpose = DEFAULT_IDENTITIES.filter(
      (identity) => identity.siret !== normalizeSiret(identity.siret!),
    );
    expect(wrongOnPurpose.map((identity) => identity.email)).toEqual([
      "siret.espaces@fia1.fr",
      "siret.invalide@fia1.fr",
    ]);
    expect(normalizeSiret(byEmail("siret.espaces@fia1.fr")!.siret!)).toBe("13002526500013");
    expect(normalizeSiret(byEmail("siret.invalide@fia1.fr")!.siret!)).toBeUndefined();
  });

  it("has one identity without an e-mail", () => {
    expect(DEFAULT_IDENTITIES.filter((identity) => identity.email === undefined)).toHaveLength(1);
  });

  it("gives siren as the first 9 digits of the SIRET when the identity provider sends it", () => {
    for (const identity of DEFAULT_IDENTITIES.filter((candidate) => candidate.siren)) {
      expect(identity.siret?.startsWith(identity.siren!)).toBe(true);
    }
  });

  it("gives every identity a unique sub of at most 256 ASCII characters", () => {
    const subs = DEFAULT_IDENTITIES.map((identity) => identity.sub);
    expect(new Set(subs).size).toBe(subs.length);
    for (const sub of subs) expect(sub).toMatch(/^[\x21-\x7e]{1,256}$/);
  });
});
