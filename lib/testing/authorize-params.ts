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
// authorize-params.dto.ts's URL_REGEX, shown in its message as class-validator shows a RegExp.
const URL_REGEX = /^https?:\/\/[^/].+$/;

// class-validator's isAscii: every character below 128.
const isAscii = (value: string) =>
  value.length > 0 && [...value].every((c) => c.charCodeAt(0) < 128);

type Rule = [test: (value: string) => boolean, message: string];

const stringRule = (name: string): Rule[] => [[() => true, `${name} must be a string`]];

/**
 * authorize-params.dto.ts, as class-validator checks it: each parameter's rules, in the order the
 * validator reports them (a property's decorators run from the bottom up), with their messages.
 * `optional` ones are checked only when present; a parameter sent twice is no string and fails each.
 */
const DTO_RULES: readonly [name: string, optional: boolean, rules: Rule[]][] = [
  ["client_id", false, stringRule("client_id")],
  ["acr_values", true, stringRule("acr_values")],
  ["claims", true, stringRule("claims")],
  ["response_type", false, stringRule("response_type")],
  ["response_mode", true, stringRule("response_mode")],
  [
    "nonce",
    true,
    [
      [(value) => value.length >= 1, "nonce must be longer than or equal to 1 characters"],
      [(value) => value.length <= 512, "nonce must be shorter than or equal to 512 characters"],
      [(value) => isAscii(value), "Le nonce doit être composé de caractères ASCII"],
      ...stringRule("nonce"),
    ],
  ],
  ["login_hint", true, [[isLoginHint, "Le login_hint doit être une adresse email valide"]]],
  [
    "siret_hint",
    true,
    [[(value) => value.length === 14, "Le siret_hint doit contenir 14 caractères"]],
  ],
  ["state", false, stringRule("state")],
  [
    "redirect_uri",
    false,
    [[(value) => URL_REGEX.test(value), `redirect_uri must match ${URL_REGEX} regular expression`]],
  ],
  ["scope", false, stringRule("scope")],
  ["prompt", true, stringRule("prompt")],
  ["idp_hint", true, stringRule("idp_hint")],
  ["code_challenge", true, stringRule("code_challenge")],
  ["code_challenge_method", true, stringRule("code_challenge_method")],
];

export type AuthorizeCheck =
  { ok: true; params: URLSearchParams } | { ok: false; description: string };

/** The server's validation messages for `raw`, joined as NestJS's ValidationPipe joins them. */
function dtoErrors(raw: URLSearchParams): string[] {
  const errors: string[] = [];
  for (const [name, optional, rules] of DTO_RULES) {
    const values = raw.getAll(name);
    if (values.length === 0 && optional) continue;
    const value = values.length === 1 ? values[0] : undefined;
    for (const [test, message] of rules) {
      if (value === undefined || !test(value)) errors.push(message);
    }
  }
  return errors;
}

/**
 * Applies ProConnect's authorize-parameter rules before oidc-provider sees the request. By default they
 * are its server's (authorize-params.dto.ts: client_id, response_type, state, scope and an http(s)
 * redirect_uri required, nonce 1–512 ASCII characters, login_hint an e-mail, siret_hint 14 characters,
 * unknown parameters dropped), refused with its messages; `strict` adds its documentation's (state and
 * nonce of at least 32 characters, any unknown parameter refused).
 */
export function checkAuthorizeParams(raw: URLSearchParams, strict: boolean): AuthorizeCheck {
  const params = new URLSearchParams();
  for (const [name, value] of raw) {
    if (PROCONNECT_AUTHORIZE_PARAMS.has(name)) params.append(name, value);
    else if (strict) return refuse(`unknown parameter "${name}"`);
  }
  const errors = dtoErrors(params);
  if (errors.length > 0) return refuse(errors.join(", "));
  if (strict) {
    if ((params.get("state") ?? "").length < DOCUMENTED_MIN_LENGTH) {
      return refuse(`state must be at least ${DOCUMENTED_MIN_LENGTH} characters`);
    }
    if ((params.get("nonce") ?? "").length < DOCUMENTED_MIN_LENGTH) {
      return refuse(`nonce is required and must be at least ${DOCUMENTED_MIN_LENGTH} characters`);
    }
  }
  return { ok: true, params };
}

function refuse(description: string): AuthorizeCheck {
  return { ok: false, description };
}
