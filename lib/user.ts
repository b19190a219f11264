import { z } from "zod";
import { ProConnectError } from "./errors.js";
import type { ProConnectLogger } from "./options.js";
import type { ProConnectScope } from "./scopes.js";
import { normalizeSiret } from "./siret.js";

/**
 * The signed-in professional, validated and normalized, with ProConnect's claim names.
 * `sub`, `idp_id` and `siret` are always there; `email`, `given_name`, `usual_name` and `uid` are there
 * whenever their scope is asked for (the default scopes ask for them); the rest when the identity
 * provider sends them.
 */
export interface ProConnectUser {
  /** ProConnect's identifier of the person at this identity provider: use it to reconcile accounts. */
  sub: string;
  /** The identity provider (FI) the person signed in with. */
  idp_id: string;
  /** The establishment, 14 digits (whitespace removed, Luhn-checked). */
  siret: string;
  email?: string;
  given_name?: string;
  usual_name?: string;
  uid?: string;
  /** The company, 9 digits: the first 9 of the SIRET. */
  siren?: string;
  organizational_unit?: string;
  belonging_population?: string;
  phone_number?: string;
  chorusdt?: { matricule?: string; societe?: string };
  /** The acr the identity provider gave ProConnect. */
  idp_acr?: string;
  /** The acr of this login, from the id_token. */
  acr?: string;
  /** The authentication methods of this login, from the id_token, when asked for. */
  amr?: string[];
  /** The identity provider's non-standard attributes. */
  custom?: Record<string, unknown>;
}

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

/** Claims the login cannot go without when their scope (of the same name) is asked for. */
const REQUIRED = {
  email,
  given_name: text,
  usual_name: text,
  uid: ascii,
} as const satisfies Partial<Record<ProConnectScope, z.ZodType>>;

/** Claims that are dropped, with a warning, when the identity provider sends them wrong. */
const OPTIONAL: readonly (readonly [
  keyof ProConnectUser | "chorusdt:matricule" | "chorusdt:societe",
  z.ZodType,
])[] = [
  ["siren", z.string().regex(/^\d{9}$/, "must be 9 digits")],
  ["organizational_unit", text],
  ["belonging_population", text],
  ["phone_number", phone],
  ["chorusdt:matricule", text],
  ["chorusdt:societe", text],
  ["idp_acr", text],
  ["custom", z.record(z.string(), z.unknown())],
];

const amr = z.array(text).max(16);

/** What limits the user: the warnings' logger, and the bytes of JSON it may take in the session. */
export interface UserLimits {
  logger: ProConnectLogger;
  maxUserSize: number;
}

/**
 * Builds the user from the verified id_token and userinfo: required claims that fail their rule refuse
 * the login (`invalid_user_claims`, every problem listed), optional ones are dropped with a warning.
 */
export function normalizeUser(
  idToken: Record<string, unknown>,
  userinfo: Record<string, unknown>,
  scopes: ReadonlySet<string>,
  { logger, maxUserSize }: UserLimits,
): ProConnectUser {
  const problems: string[] = [];
  const required = <T>(name: string, schema: z.ZodType<T>, value: unknown): T | undefined => {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    problems.push(
      value === undefined ? `${name} is missing` : `${name} ${result.error.issues[0]?.message}`,
    );
    return undefined;
  };

  const user = {
    sub: required("sub", ascii, idToken.sub),
    idp_id: required("idp_id", text, userinfo.idp_id),
    siret: required("siret", siret, userinfo.siret),
  } as ProConnectUser;
  for (const [claim, schema] of Object.entries(REQUIRED)) {
    if (scopes.has(claim))
      Object.assign(user, { [claim]: required(claim, schema, userinfo[claim]) });
  }
  if (problems.length > 0) {
    // Values are not in the message: they are personal data, and messages end up in logs.
    throw new ProConnectError(
      "invalid_user_claims",
      `ProConnect sent an identity this app cannot accept: ${problems.join("; ")}`,
    );
  }

  const optional: Record<string, unknown> = {};
  for (const [claim, schema] of OPTIONAL) {
    if (userinfo[claim] === undefined) continue;
    const result = schema.safeParse(userinfo[claim]);
    if (result.success) optional[claim] = result.data;
    else
      logger.warn(`proconnect: dropped the invalid optional claim ${claim}`, {
        claim,
        sub: user.sub,
      });
  }
  const {
    siren,
    "chorusdt:matricule": matricule,
    "chorusdt:societe": societe,
    ...direct
  } = optional as Record<string, unknown> & {
    "chorusdt:matricule"?: string;
    "chorusdt:societe"?: string;
  };
  Object.assign(user, direct);
  user.siren = user.siret.slice(0, 9);
  if (siren !== undefined && siren !== user.siren) {
    logger.warn("proconnect: siren is not the start of the SIRET; using the SIRET's", {
      sub: user.sub,
    });
  }
  if (matricule !== undefined || societe !== undefined) {
    user.chorusdt = {
      ...(matricule === undefined ? {} : { matricule }),
      ...(societe === undefined ? {} : { societe }),
    };
  }
  for (const [claim, schema] of [
    ["acr", text],
    ["amr", amr],
  ] as const) {
    if (idToken[claim] === undefined) continue;
    const result = schema.safeParse(idToken[claim]);
    if (result.success) Object.assign(user, { [claim]: result.data });
    else
      logger.warn(`proconnect: dropped the invalid id_token claim ${claim}`, {
        claim,
        sub: user.sub,
      });
  }
  return withinSize(user, maxUserSize, logger);
}

/** Optional claims given up first when the user is too large for the session: `custom` leads. */
const DROPPED_FIRST = [
  "organizational_unit",
  "belonging_population",
  "chorusdt",
  "phone_number",
  "idp_acr",
  "amr",
] as const satisfies readonly (keyof ProConnectUser)[];

const bytesOf = (value: unknown) => Buffer.byteLength(JSON.stringify(value) ?? "");

/**
 * Keeps the user within `maxUserSize` bytes of JSON, since it is loaded with the session on every
 * request: the largest `custom` attributes go first, then the other optional claims, each named in one
 * warning (never their values). Required claims are already bounded (256 characters each); a user still
 * too large without any optional claim is refused.
 */
function withinSize(user: ProConnectUser, maxUserSize: number, logger: ProConnectLogger) {
  let size = bytesOf(user);
  if (size <= maxUserSize) return user;
  const received = size;
  const dropped: string[] = [];
  const custom = user.custom;
  if (custom) {
    const bySize = Object.keys(custom)
      .map((key) => ({ key, bytes: bytesOf(key) + bytesOf(custom[key]) + 2 }))
      .sort((a, b) => b.bytes - a.bytes);
    for (const { key, bytes } of bySize) {
      if (size <= maxUserSize) break;
      Reflect.deleteProperty(custom, key);
      dropped.push(`custom.${key.slice(0, 64)}`);
      size -= bytes;
    }
    size = bytesOf(user);
  }
  for (const claim of DROPPED_FIRST) {
    if (size <= maxUserSize) break;
    if (user[claim] === undefined) continue;
    Reflect.deleteProperty(user, claim);
    dropped.push(claim);
    size = bytesOf(user);
  }
  if (size > maxUserSize) {
    throw new ProConnectError(
      "invalid_user_claims",
      `ProConnect sent an identity of ${size} bytes without its optional claims, over maxUserSize (${maxUserSize})`,
    );
  }
  logger.warn(
    `proconnect: dropped optional claims to keep the user within maxUserSize (${maxUserSize} bytes)`,
    {
      sub: user.sub,
      bytes: received,
      dropped: dropped.slice(0, 20),
      more: Math.max(0, dropped.length - 20),
    },
  );
  return user;
}
