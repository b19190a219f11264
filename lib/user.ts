import { CLAIM_LIST } from "./claims.js";
import { ProConnectError } from "./errors.js";
import type { ProConnectLogger, ProConnectUser } from "./types.js";

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
  const problems: { claim: string; problem: string }[] = [];
  const fields: Record<string, unknown> = {};
  const optional: Record<string, unknown> = {};
  for (const claim of CLAIM_LIST) {
    const value = (claim.from === "id_token" ? idToken : userinfo)[claim.name];
    if (claim.need === "optional") {
      if (value === undefined) continue;
      const result = claim.schema.safeParse(value);
      if (result.success) optional[claim.name] = result.data;
      else
        logger.warn(
          { claim: claim.name, sub: idToken.sub },
          `proconnect: dropped the invalid ${claim.from} claim ${claim.name}`,
        );
      continue;
    }
    if (claim.need === "scope" && !scopes.has(claim.scope ?? "")) continue;
    const result = claim.schema.safeParse(value);
    if (result.success) fields[claim.name] = result.data;
    else
      problems.push({
        claim: claim.name,
        problem:
          value === undefined
            ? `${claim.name} is missing`
            : `${claim.name} ${result.error.issues[0]?.message}`,
      });
  }
  if (problems.length > 0) {
    // Values are not in the message: they are personal data, and messages end up in logs.
    throw new ProConnectError(
      "invalid_user_claims",
      `ProConnect sent an identity this app cannot accept: ${problems.map(({ problem }) => problem).join("; ")}`,
      { claims: [...new Set(problems.map(({ claim }) => claim))] },
    );
  }
  const user = fields as unknown as ProConnectUser;

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
    logger.warn(
      { sub: user.sub },
      "proconnect: siren is not the start of the SIRET; using the SIRET's",
    );
  }
  if (matricule !== undefined || societe !== undefined) {
    user.chorusdt = {
      ...(matricule === undefined ? {} : { matricule }),
      ...(societe === undefined ? {} : { societe }),
    };
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
    {
      sub: user.sub,
      bytes: received,
      dropped: dropped.slice(0, 20),
      more: Math.max(0, dropped.length - 20),
    },
    `proconnect: dropped optional claims to keep the user within maxUserSize (${maxUserSize} bytes)`,
  );
  return user;
}
