import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { MFA_ACR_VALUES, normalizeSiret } from "../lib/index.js";
import { DEFAULT_IDENTITIES, TestBrowser, type ProConnectEmulator } from "../lib/testing/index.js";
import { CERTIFICATION_DIRIGEANT } from "../lib/index.js";
import {
  authorizationRequest,
  discover,
  errorCode,
  exchange,
  startTestEmulator,
  toRp,
} from "./helpers/emulator.js";

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

describe("MFA for the test identities (docs/testing.md's table)", () => {
  /** What the login `requireAuth({ mfa: true })` asks for ends in for `sub`: its acr, or the error. */
  async function mfaOutcome(emulator: ProConnectEmulator, sub: string) {
    const config = await discover(emulator);
    const claims = JSON.stringify({
      id_token: { acr: { essential: true, values: [...MFA_ACR_VALUES] } },
    });
    const request = await authorizationRequest(config, { claims });
    const page = await new TestBrowser().navigate(request.url, { sub, stopAt: toRp });
    const query = page.location?.searchParams;
    if (query?.get("code"))
      return String((await exchange(config, page.location!, request)).claims()?.acr);
    return query?.get("error") ?? `stopped at ${errorCode(page.body) ?? page.status}`;
  }

  it("reaches eidas1-mfa, or not, as the table's MFA column says for each default identity", async () => {
    const docs = await readFile(new URL("../docs/testing.md", import.meta.url), "utf8");
    const column = new Map(
      [...docs.matchAll(/^\| (`[^`]+`|\(none\)) +\| `[^`]+` +\|[^|]+\| ([^|]+?) +\|$/gm)].map(
        ([, email, mfa]) => [email === "(none)" ? undefined : email!.slice(1, -1), mfa!],
      ),
    );
    const emulator = await startTestEmulator();
    try {
      for (const identity of DEFAULT_IDENTITIES) {
        const outcome = await mfaOutcome(emulator, identity.sub);
        const said = column.get(identity.email);
        expect(said, identity.email).toBeDefined();
        expect([identity.email, said!.startsWith("`eidas1-mfa`")]).toEqual([
          identity.email,
          outcome === "eidas1-mfa",
        ]);
      }
    } finally {
      await emulator.close();
    }
  });

  it("lets a company head of one's own through MFA, as the text under the table says", async () => {
    const marie = byEmail("marie.lefevre@yopmail.com")!;
    const emulator = await startTestEmulator({
      identities: [
        {
          ...marie,
          sub: "mfa-fi",
          acr: ["eidas1-mfa", CERTIFICATION_DIRIGEANT],
          amr: ["pwd", "totp", "mfa"],
        },
        { ...marie, sub: "mfa-code", email: "code@yopmail.com", amr: ["pwd"] },
      ],
    });
    try {
      expect(await mfaOutcome(emulator, "mfa-fi")).toBe("eidas1-mfa");
      expect(await mfaOutcome(emulator, "mfa-code")).toBe("eidas1-mfa");
    } finally {
      await emulator.close();
    }
  });
});
