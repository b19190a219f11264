// api/api-token.feature
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { CLIENT_SECRET } from "../helpers/emulator.js";
import {
  api,
  authorizeParams,
  federationClients,
  login,
  payloadOf,
  redirectUriOf,
  scenario,
  SP,
  useFederation,
  type ApiResponse,
} from "./harness.js";

// fsa1-low signs its id_tokens with HS256 (service-providers seed), which the steps check.
const emulator = useFederation({
  clients: federationClients({ [SP.default]: { idTokenSignedResponseAlg: "HS256" } }),
});

// api-common.json's "token-pkce": the verifier the test service provider's "PKCE" button keeps.
const CODE_VERIFIER = "code_verifier_1234567890123456789012345678901234567890";
const CODE_CHALLENGE = createHash("sha256").update(CODE_VERIFIER).digest("base64url");

/** api-common.json's "token", "token-pkce" and "token-from-refresh-token" bodies, for fsa1-low. */
const tokenBody = (extra: Record<string, string>) => ({
  client_id: SP.default,
  client_secret: CLIENT_SECRET,
  redirect_uri: redirectUriOf(SP.default),
  ...extra,
});

const token = (form: Record<string, string>) => api(`${emulator().issuer}/token`, { form });

/** "je m'authentifie" as test@fia1.fr, and the code ProConnect sent the service provider. */
async function codeAfterLogin(params = authorizeParams({ acr_values: "eidas1" })) {
  const { callback } = await login(emulator(), params, { email: "test@fia1.fr" });
  const code = callback?.searchParams.get("code");
  if (!code) throw new Error(`no code in the callback: ${callback?.href}`);
  return code;
}

function expectJsonWithoutCookie(response: ApiResponse) {
  expect(response.headers.get("content-type")).toContain("application/json");
  expect(response.headers.get("set-cookie")).toBeNull();
}

function expectError(response: ApiResponse, status: number, error: string, description: string) {
  expect(response.status).toBe(status);
  expectJsonWithoutCookie(response);
  expect(JSON.parse(response.body)).toEqual({ error, error_description: description });
}

/** A JWS's protected header ("l'entête du JWS"). */
const headerOf = (jws: string) =>
  JSON.parse(Buffer.from(jws.split(".")[0] ?? "", "base64url").toString("utf8")) as Record<
    string,
    unknown
  >;

/** The six properties of a token answer and its id_token, as the nominal scenarios check them. */
function expectTokens(response: ApiResponse) {
  expect(response.status).toBe(200);
  expectJsonWithoutCookie(response);
  const body = JSON.parse(response.body) as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(
    ["access_token", "expires_in", "id_token", "refresh_token", "scope", "token_type"].sort(),
  );
  expect(body.expires_in).toBe(3600);
  expect(body.token_type).toBe("Bearer");
  const idToken = String(body.id_token);
  // The steps read it as a JWS ("n'est pas chiffré"): three parts, not a JWE's five.
  expect(idToken.split(".")).toHaveLength(3);
  expect(headerOf(idToken).alg).toBe("HS256");
  const claims = payloadOf(idToken);
  expect(claims.sub).toEqual(expect.any(String));
  expect(claims.acr).toBe("eidas1");
  expect(claims.amr).toBeDefined();
  expect(claims.nonce).toEqual(expect.any(String));
  expect(claims.iss).toBe(emulator().issuer);
  return body;
}

describe("api-token.feature", () => {
  it(scenario("api-token", 5, "API token - cas nominal"), async () => {
    const code = await codeAfterLogin();
    expectTokens(await token(tokenBody({ grant_type: "authorization_code", code })));
  });

  it(scenario("api-token", 35, "API token - code invalide"), async () => {
    const response = await token(
      tokenBody({ grant_type: "authorization_code", code: "invalid-code" }),
    );
    expectError(response, 400, "invalid_grant", "grant request is invalid");
  });

  it(scenario("api-token", 46, "API token - id_token"), async () => {
    const code = await codeAfterLogin();
    expectTokens(await token(tokenBody({ grant_type: "authorization_code", code })));
  });

  it(scenario("api-token", 76, "API token - PKCE sans client_secret"), async () => {
    const code = await codeAfterLogin(
      authorizeParams({ code_challenge: CODE_CHALLENGE, code_challenge_method: "S256" }),
    );
    const { client_secret: _omitted, ...body } = tokenBody({
      grant_type: "authorization_code",
      code,
      code_verifier: CODE_VERIFIER,
    });
    expectError(await token(body), 401, "invalid_client", "client authentication failed");
  });

  it(scenario("api-token", 94, "API token - code_verifier invalide"), async () => {
    const code = await codeAfterLogin(
      authorizeParams({ code_challenge: CODE_CHALLENGE, code_challenge_method: "S256" }),
    );
    const response = await token(
      tokenBody({
        grant_type: "authorization_code",
        code,
        code_verifier: "invalid-code_verifier-123456789012345678901234567890",
      }),
    );
    expectError(response, 400, "invalid_grant", "grant request is invalid");
  });

  it(scenario("api-token", 112, "API token - refresh token"), async () => {
    const code = await codeAfterLogin();
    const first = JSON.parse(
      (await token(tokenBody({ grant_type: "authorization_code", code }))).body,
    ) as Record<string, string>;
    const refreshed = await token(
      tokenBody({ grant_type: "refresh_token", refresh_token: String(first.refresh_token) }),
    );
    expectTokens(refreshed);
  });

  it(scenario("api-token", 146, "API token - refresh token invalide"), async () => {
    const response = await token(
      tokenBody({ grant_type: "refresh_token", refresh_token: "replace-me" }),
    );
    expectError(response, 400, "invalid_grant", "grant request is invalid");
  });

  it(scenario("api-token", 157, "API token - refresh token révoqué"), async () => {
    const code = await codeAfterLogin(authorizeParams({}, ["acr_values"]));
    const first = JSON.parse(
      (await token(tokenBody({ grant_type: "authorization_code", code }))).body,
    ) as Record<string, string>;
    const refreshToken = String(first.refresh_token);
    const revoked = await api(`${emulator().issuer}/token/revocation`, {
      form: { client_id: SP.default, client_secret: CLIENT_SECRET, token: refreshToken },
    });
    expect(revoked.status).toBe(200);
    const response = await token(
      tokenBody({ grant_type: "refresh_token", refresh_token: refreshToken }),
    );
    expectError(response, 400, "invalid_grant", "grant request is invalid");
  });
});
