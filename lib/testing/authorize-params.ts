import { isLoginHint } from "../login-hint.js";

/** The parameters ProConnect's authorize endpoint knows; anything else is dropped, or refused in strict mode. */
export const PROCONNECT_AUTHORIZE_PARAMS: ReadonlySet<string> = new Set([
  "response_type",
  "client_id",
  "redirect_uri",
  "scope",
  "state",
  "nonce",
  "claims",
  "acr_values",
  "prompt",
  "idp_hint",
  "login_hint",
  "siret_hint",
  "code_challenge",
  "code_challenge_method",
]);

// The documentation's minimum for state and nonce; the server itself accepts shorter values.
const DOCUMENTED_MIN_LENGTH = 32;
const PRINTABLE_ASCII = /^[\x20-\x7e]{1,512}$/;

export type AuthorizeCheck =
  { ok: true; params: URLSearchParams } | { ok: false; description: string };

/**
 * Applies ProConnect's authorize-parameter rules before oidc-provider sees the request. By default they
 * are its server's (state required, nonce optional and 1–512 ASCII characters, unknown parameters silently
 * dropped); `strict` applies its documentation's (state and nonce of at least 32 characters, any unknown
 * parameter refused). Both modes check `login_hint`, `siret_hint` and the `redirect_uri` scheme.
 */
export function checkAuthorizeParams(raw: URLSearchParams, strict: boolean): AuthorizeCheck {
  const params = new URLSearchParams();
  for (const [name, value] of raw) {
    if (PROCONNECT_AUTHORIZE_PARAMS.has(name)) params.append(name, value);
    else if (strict) return refuse(`unknown parameter "${name}"`);
  }

  const state = params.get("state");
  if (!state) return refuse("state is required");
  const nonce = params.get("nonce");
  if (nonce !== null && !PRINTABLE_ASCII.test(nonce)) {
    return refuse("nonce must be 1 to 512 printable ASCII characters");
  }
  if (strict) {
    if (state.length < DOCUMENTED_MIN_LENGTH) {
      return refuse(`state must be at least ${DOCUMENTED_MIN_LENGTH} characters`);
    }
    if (nonce === null || nonce.length < DOCUMENTED_MIN_LENGTH) {
      return refuse(`nonce is required and must be at least ${DOCUMENTED_MIN_LENGTH} characters`);
    }
  }

  const loginHint = params.get("login_hint");
  if (loginHint !== null && !isLoginHint(loginHint))
    return refuse("login_hint must be an e-mail address");
  const siretHint = params.get("siret_hint");
  if (siretHint !== null && siretHint.length !== 14)
    return refuse("siret_hint must be 14 characters");
  const redirectUri = params.get("redirect_uri");
  if (redirectUri !== null && !/^https?:\/\//.test(redirectUri)) {
    return refuse("redirect_uri must start with http:// or https://");
  }
  return { ok: true, params };
}

function refuse(description: string): AuthorizeCheck {
  return { ok: false, description };
}
