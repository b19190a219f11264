import { z } from "zod";
import { normalizeSiret } from "../siret.js";
import type { EmulatorIdentity, OrganizationKind, ResolvedEmulatorOptions } from "./options.js";

// What ProConnect does to an identity between its FI and the client, read from its server
// (back/apps/core-fca-low/src/services/identity.sanitizer.ts and the DTOs identity-from-idp.dto.ts and
// identity-for-sp.dto.ts): checks, SIRET clean-up or substitution, phone dropped when wrong, roles and
// organization_label from the organisation, idp_id and idp_acr added, non-standard attributes in custom.

/** What ProConnect sends for a person, or why it refuses the login (its Y500006 page). */
export type SanitizedIdentity =
  | { ok: true; claims: Record<string, unknown> }
  | {
      ok: false;
      status: 400 | 500;
      description: string;
      /** What failed, one object per field as class-validator reports it (the support e-mail quotes it). */
      constraints: Record<string, string>[];
      /** The identity as checked: the FI's (its Y500006 support e-mail quotes it). */
      target: Record<string, unknown>;
    };

export type SanitizeOptions = Pick<
  ResolvedEmulatorOptions,
  "raw" | "network" | "identityProviders"
>;

const text = z.string().min(1).max(256);
const ascii = text.refine(
  (value) => [...value].every((char) => char.charCodeAt(0) < 128),
  "must be ASCII",
);
const optionalText = text.optional();

// IdentityFromIdpDto: what the FI must send (checked before anything else, HTTP 400 when wrong).
const fromIdp = z.object({
  sub: ascii,
  given_name: text,
  usual_name: text,
  email: z.email(),
  uid: ascii,
  siren: optionalText,
  siret: z.string().max(256).optional(),
  organizational_unit: optionalText,
  belonging_population: optionalText,
  "chorusdt:societe": optionalText,
  "chorusdt:matricule": optionalText,
});

// is-phone-number-simple-validator.validator.ts
const PHONE = /^\+?(?:[0-9][ -]?){6,14}[0-9]$/;

// cached-organization.service.ts computeRoles()
const ROLES: Readonly<Record<OrganizationKind, readonly string[]>> = {
  etat: ["agent_public", "agent_public_etat"],
  territoriale: ["agent_public", "agent_public_territorial"],
  publique: ["agent_public"],
  privee: [],
};

// Fixture fields that are not the FI's claims.
const NOT_CLAIMS = new Set(["label", "acr", "amr", "organization", "raw", "custom", "idp_acr"]);

/** What the FI itself sent: its claims without the `idp_id` ProConnect adds. */
function sentByFi(claims: Record<string, unknown>): Record<string, unknown> {
  const { idp_id: _added, ...sent } = claims;
  return sent;
}

/** The FI's own claims for this person, as the fixture gives them. */
function fiClaims(identity: EmulatorIdentity): Record<string, unknown> {
  return Object.fromEntries(Object.entries(identity).filter(([name]) => !NOT_CLAIMS.has(name)));
}

/**
 * What ProConnect sends the client for `identity`, whose FI answered with `idpAcr`. With `raw` (the
 * option, or the identity's), the FI's values go through unchecked.
 */
export function sanitizeIdentity(
  identity: EmulatorIdentity,
  idpAcr: string,
  options: SanitizeOptions,
): SanitizedIdentity {
  const organization = computeOrganization(identity, options);
  if (options.raw || identity.raw) {
    return {
      ok: true,
      claims: {
        ...fiClaims(identity),
        idp_acr: identity.idp_acr ?? idpAcr,
        ...organization,
        ...(identity.custom ? { custom: identity.custom } : {}),
      },
    };
  }

  const claims = fiClaims(identity);
  if (typeof claims.siret === "string") claims.siret = claims.siret.replace(/\s/g, "");
  const checked = fromIdp.safeParse(claims);
  if (!checked.success) return refuse(400, checked.error, sentByFi(claims));

  if (typeof claims.siret !== "string" || normalizeSiret(claims.siret) !== claims.siret) {
    const defaultSiret = options.identityProviders[identity.idp_id]?.defaultSiret;
    if (defaultSiret === undefined) {
      return {
        ok: false,
        status: 500,
        description:
          "siret: Le siret est invalide (and the identity provider has no default SIRET)",
        constraints: [{ isSiret: "Le siret est invalide." }],
        target: sentByFi(claims),
      };
    }
    claims.siret = defaultSiret;
  }
  const phone = claims.phone_number;
  if (
    phone !== undefined &&
    !(typeof phone === "string" && phone.length <= 256 && PHONE.test(phone))
  )
    delete claims.phone_number;

  return {
    ok: true,
    claims: {
      ...claims,
      ...organization,
      idp_id: identity.idp_id,
      idp_acr: idpAcr,
      // Every non-standard attribute of the FI, and an empty object when there is none.
      custom: { ...identity.custom },
    },
  };
}

/** roles and organization_label: from the organisation on the Internet, fixed on the RIE. */
function computeOrganization(
  identity: EmulatorIdentity,
  { network }: SanitizeOptions,
): { roles: string[]; organization_label?: string } {
  if (network === "rie") return { roles: ["agent_public"] };
  const kind = identity.organization?.kind ?? "publique";
  const label = identity.organization?.label;
  return { roles: [...ROLES[kind]], ...(label === undefined ? {} : { organization_label: label }) };
}

function refuse(
  status: 400 | 500,
  error: z.ZodError,
  target: Record<string, unknown>,
): SanitizedIdentity {
  const description = error.issues
    .map((issue) => `${issue.path.join(".") || "identity"}: ${issue.message}`)
    .join("; ");
  const byField = new Map<string, Record<string, string>>();
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? "identity");
    const [name, message] = constraintOf(field, issue);
    byField.set(field, { ...byField.get(field), [name]: message });
  }
  return { ok: false, status, description, constraints: [...byField.values()], target };
}

/** A zod issue as the class-validator decorator of IdentityFromIdpDto that fails on it. */
function constraintOf(field: string, issue: z.core.$ZodIssue): [string, string] {
  if (field === "email") return ["isEmail", "email must be an email"];
  if (issue.code === "too_small") {
    return ["minLength", `${field} must be longer than or equal to 1 characters`];
  }
  if (issue.code === "too_big") {
    return ["maxLength", `${field} must be shorter than or equal to 256 characters`];
  }
  if (issue.code === "custom") return ["isAscii", `${field} must contain only ASCII characters`];
  return ["isString", `${field} must be a string`];
}
