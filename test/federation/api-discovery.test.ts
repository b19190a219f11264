// api/api-discovery.feature
import { describe, expect, it } from "vitest";
import { api, scenario, useFederation } from "./harness.js";

const emulator = useFederation();

// get-discovery.dto.ts, validated with forbidNonWhitelisted: every key required, no other key.
const DISCOVERY_KEYS = [
  "acr_values_supported",
  "authorization_endpoint",
  "authorization_response_iss_parameter_supported",
  "claim_types_supported",
  "claims_parameter_supported",
  "claims_supported",
  "code_challenge_methods_supported",
  "end_session_endpoint",
  "grant_types_supported",
  "id_token_encryption_alg_values_supported",
  "id_token_encryption_enc_values_supported",
  "id_token_signing_alg_values_supported",
  "introspection_encryption_alg_values_supported",
  "introspection_encryption_enc_values_supported",
  "introspection_endpoint",
  "introspection_endpoint_auth_methods_supported",
  "introspection_endpoint_auth_signing_alg_values_supported",
  "introspection_signing_alg_values_supported",
  "issuer",
  "jwks_uri",
  "request_object_encryption_alg_values_supported",
  "request_object_encryption_enc_values_supported",
  "request_object_signing_alg_values_supported",
  "request_parameter_supported",
  "request_uri_parameter_supported",
  "require_request_uri_registration",
  "response_modes_supported",
  "response_types_supported",
  "revocation_endpoint",
  "revocation_endpoint_auth_methods_supported",
  "revocation_endpoint_auth_signing_alg_values_supported",
  "scopes_supported",
  "subject_types_supported",
  "token_endpoint",
  "token_endpoint_auth_methods_supported",
  "token_endpoint_auth_signing_alg_values_supported",
  "userinfo_encryption_alg_values_supported",
  "userinfo_encryption_enc_values_supported",
  "userinfo_endpoint",
  "userinfo_signing_alg_values_supported",
];

describe("api-discovery.feature", () => {
  it(scenario("api-discovery", 5, "API discovery - fca-low"), async () => {
    const response = await api(`${emulator().issuer}/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("application/json");
    expect(response.headers.get("set-cookie")).toBeNull();
    const config = JSON.parse(response.body) as Record<string, unknown>;
    expect(Object.keys(config).sort()).toEqual(DISCOVERY_KEYS);
    expect(config.acr_values_supported).toEqual([
      "eidas0",
      "eidas0-mfa",
      "eidas1",
      "eidas1-mfa",
      "eidas2",
      "eidas3",
      "https://proconnect.gouv.fr/assurance/certification-dirigeant",
    ]);
    const scopes =
      "openid given_name usual_name email siren siret organizational_unit belonging_population phone chorusdt";
    expect(config.scopes_supported).toEqual(expect.arrayContaining(scopes.split(" ")));
    expect(config.scopes_supported).not.toContain("offline_access");
    const claims =
      "sub amr uid given_name email phone_number organizational_unit siren siret usual_name belonging_population chorusdt:matricule chorusdt:societe idp_id idp_acr acr sid auth_time iss";
    expect(config.claims_supported).toEqual(expect.arrayContaining(claims.split(" ")));
    expect(config.id_token_signing_alg_values_supported).toEqual(["HS256", "ES256", "RS256"]);
    expect(config.userinfo_signing_alg_values_supported).toEqual(["HS256", "ES256", "RS256"]);
  });
});
