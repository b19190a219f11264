// What an introspection answer means for an API: a pure verdict, and the bounded memory of verdicts.
import type { IntrospectionAnswer } from "./client.js";
import type { ProConnectToken } from "./types.js";

/** What is known of a token: valid (with its facts) or refused (with the reason), and until when. */
export type Verdict =
  | { valid: true; token: ProConnectToken; until: number }
  | { valid: false; reason: string; until: number; clientId?: string };

/** What an API accepts, from its options. */
export interface TokenRules {
  /** The issuer configured (without a trailing slash). */
  issuer: string;
  /** The clients whose tokens the API accepts; undefined: any (`allowAnyClient`). */
  allowed: ReadonlySet<string> | undefined;
  clockTolerance: number;
  /** Whether answers are signed (`introspectionSignedResponseAlg`), for `ProConnectToken.signed`. */
  signed: boolean;
}

/** ProConnect's answer, checked: what makes a token valid for this API at `now` (ms). */
export function judgeIntrospection(
  answer: IntrospectionAnswer,
  rules: TokenRules,
  now: number,
): Verdict {
  const refuse = (reason: string, clientId?: string): Verdict => ({
    valid: false,
    reason,
    until: Infinity,
    ...(clientId === undefined ? {} : { clientId }),
  });
  if (answer.active !== true) {
    return refuse("the access token is not active: expired, revoked or unknown to ProConnect");
  }
  const { sub, client_id: clientId, scope, exp, iat, iss, sid, token_type: type } = answer;
  if (typeof type !== "string" || type.toLowerCase() !== "bearer") {
    return refuse("the token is not an access token (a refresh token?)");
  }
  if (typeof sub !== "string" || sub === "") return refuse("the token names no person (no sub)");
  if (typeof clientId !== "string" || clientId === "") {
    return refuse("the token names no client (no client_id)");
  }
  if (iss !== undefined && iss !== rules.issuer) {
    return refuse("the token was issued by another issuer than the one configured", clientId);
  }
  if (rules.allowed && !rules.allowed.has(clientId)) {
    return refuse(
      "the token was issued to a client this API does not accept (allowedClients)",
      clientId,
    );
  }
  if (exp !== undefined && typeof exp !== "number")
    return refuse("the token's exp is not a number", clientId);
  if (typeof exp === "number" && exp * 1000 <= now - rules.clockTolerance * 1000) {
    return refuse("the access token has expired", clientId);
  }
  const granted = typeof scope === "string" ? scope : "";
  const token: ProConnectToken = Object.freeze({
    sub,
    client_id: clientId,
    scope: granted,
    scopes: Object.freeze(granted.split(" ").filter((each) => each !== "")),
    ...(typeof exp === "number" ? { exp } : {}),
    ...(typeof iat === "number" ? { iat } : {}),
    ...(typeof iss === "string" ? { iss } : {}),
    ...(typeof sid === "string" ? { sid } : {}),
    token_type: type,
    signed: rules.signed,
  });
  // Until exp: ProConnect is asked again then, and says whether it is still valid.
  return { valid: true, token, until: typeof exp === "number" ? exp * 1000 : Infinity };
}

/**
 * A token bucket: `perSecond` introspections a second, and as many at once after a quiet second. A
 * count in this process only: each instance of an API has its own.
 */
export class Budget {
  #tokens: number;
  #at = 0;
  constructor(readonly perSecond: number) {
    this.#tokens = perSecond;
  }

  /** `now`: a monotonic clock's milliseconds (`performance.now()`), which no clock setting moves back. */
  take(now: number): boolean {
    this.#tokens = Math.min(
      this.perSecond,
      this.#tokens + (Math.max(0, now - this.#at) / 1000) * this.perSecond,
    );
    this.#at = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
