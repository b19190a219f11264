import { z } from "zod";
import { normalizeSiret } from "./siret.js";

// The one table of the claims proconnect-express reads. The scope table (scopes.ts), the checks that
// build `req.proconnectUser` (user.ts) and the emulator's identity schema (testing/options.ts) derive
// from it; `ProConnectUser` (types.ts) is checked against it. Adding a claim is a row here and its
// documented field in `ProConnectUser` (see docs/architecture.md).

const text = z.string().trim().min(1).max(256);
const ascii = z.string().regex(/^[\x21-\x7e]{1,256}$/, "must be 1 to 256 ASCII characters");
const siret = z.string().transform((value, ctx) => {
  const normalized = normalizeSiret(value);
  if (normalized === undefined) {
    ctx.addIssue({ code: "custom", message: "must be 14 digits passing the Luhn check" });
    return z.NEVER;
  }
  return normalized;
});
const email = z
  .string()
  .trim()
  .max(256, "must be at most 256 characters")
  .pipe(z.email("must be an e-mail address"));
const phone = z
  .string()
  .trim()
  .refine(
    (value) => /^\+?[\d\s-]+$/.test(value) && /^(\D*\d){7,15}\D*$/.test(value),
    "must be a phone number",
  );

/**
 * How much a claim matters: `always`, the login is refused without it (its scope is always asked for);
 * `scope`, refused without it when its scope is asked for; `optional`, dropped with a warning when wrong.
 */
export type ClaimNeed = "always" | "scope" | "optional";

interface Claim {
  /** The scope that releases it; none for the id_token's own claims (acr, amr). */
  scope: string | undefined;
  /** Where it is read. */
  from: "id_token" | "userinfo";
  need: ClaimNeed;
  /** Its rule, and its normalized value. */
  schema: z.ZodType;
}

/** ProConnect's claims, in the order of its documentation's scope list. */
export const CLAIMS = {
  sub: { scope: "openid", from: "id_token", need: "always", schema: ascii },
  given_name: { scope: "given_name", from: "userinfo", need: "scope", schema: text },
  usual_name: { scope: "usual_name", from: "userinfo", need: "scope", schema: text },
  email: { scope: "email", from: "userinfo", need: "scope", schema: email },
  uid: { scope: "uid", from: "userinfo", need: "scope", schema: ascii },
  siret: { scope: "siret", from: "userinfo", need: "always", schema: siret },
  siren: {
    scope: "siren",
    from: "userinfo",
    need: "optional",
    schema: z.string().regex(/^\d{9}$/, "must be 9 digits"),
  },
  organizational_unit: {
    scope: "organizational_unit",
    from: "userinfo",
    need: "optional",
    schema: text,
  },
  belonging_population: {
    scope: "belonging_population",
    from: "userinfo",
    need: "optional",
    schema: text,
  },
  phone_number: { scope: "phone", from: "userinfo", need: "optional", schema: phone },
  "chorusdt:matricule": { scope: "chorusdt", from: "userinfo", need: "optional", schema: text },
  "chorusdt:societe": { scope: "chorusdt", from: "userinfo", need: "optional", schema: text },
  idp_id: { scope: "idp_id", from: "userinfo", need: "always", schema: text },
  idp_acr: { scope: "idp_acr", from: "userinfo", need: "optional", schema: text },
  // Computed by ProConnect from the SIRET's organisation (identity.sanitizer.ts); its values may grow.
  roles: { scope: "roles", from: "userinfo", need: "optional", schema: z.array(ascii).max(32) },
  organization_label: {
    scope: "organization_label",
    from: "userinfo",
    need: "optional",
    schema: text,
  },
  groups: { scope: "groups", from: "userinfo", need: "optional", schema: z.array(text).max(256) },
  custom: {
    scope: "custom",
    from: "userinfo",
    need: "optional",
    schema: z.record(z.string(), z.unknown()),
  },
  acr: { scope: undefined, from: "id_token", need: "optional", schema: text },
  amr: { scope: undefined, from: "id_token", need: "optional", schema: z.array(text).max(16) },
} as const satisfies Record<string, Claim>;

export type ClaimName = keyof typeof CLAIMS;

/** The rows of {@link CLAIMS}, each with its name. */
export const CLAIM_LIST: readonly (Claim & { name: ClaimName })[] = Object.entries(CLAIMS).map(
  ([name, claim]) => ({ ...claim, name: name as ClaimName }),
);
