// api/api-token-introspection.feature
import { describe, expect, it } from "vitest";
import { CLIENT_SECRET, RP } from "../helpers/emulator.js";
import {
  api,
  federationClients,
  payloadOf,
  scenario,
  useFederation,
  type ApiResponse,
} from "./harness.js";

// The resource server DPA1-LOW (resource-servers seed): its introspection answers signed with ES256.
const RESOURCE_SERVER = "dpa1-low";

const emulator = useFederation({
  clients: [
    ...federationClients(),
    {
      clientId: RESOURCE_SERVER,
      clientSecret: CLIENT_SECRET,
      redirectUris: [`${RP}/unused`],
      introspectionSignedResponseAlg: "ES256",
    },
  ],
});

/** api-common.json's "token-introspection": an unknown token, the JWT answer asked for. */
function introspect(set: Record<string, string> = {}, remove: readonly string[] = []) {
  const form = Object.fromEntries(
    Object.entries({
      token: "tototototo",
      client_id: RESOURCE_SERVER,
      client_secret: CLIENT_SECRET,
      ...set,
    }).filter(([name]) => !remove.includes(name)),
  );
  return api(`${emulator().issuer}/token/introspection`, {
    form,
    headers: { accept: "application/token-introspection+jwt" },
  });
}

function expectError(response: ApiResponse, status: number, error: string, description: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toContain("application/json");
  expect(response.headers.get("set-cookie")).toBeNull();
  const body = JSON.parse(response.body) as Record<string, unknown>;
  expect(body).toMatchObject({ error, error_description: description });
}

describe("api-token-introspection.feature", () => {
  it(scenario("api-token-introspection", 4, "Cas nominal"), async () => {
    const response = await introspect();
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe(
      "application/token-introspection+jwt; charset=utf-8",
    );
    expect(response.headers.get("set-cookie")).toBeNull();
    expect(response.body.length).toBeGreaterThan(50);
    const header = JSON.parse(
      Buffer.from(response.body.split(".")[0] ?? "", "base64url").toString("utf8"),
    ) as Record<string, unknown>;
    expect(header.alg).toBe("ES256");
    const payload = payloadOf(response.body);
    expect(Object.keys(payload).sort()).toEqual(["aud", "iat", "iss", "token_introspection"]);
    // An unknown token: inactive, and nothing else about it.
    expect(payload.token_introspection).toEqual({ active: false });
    expect(payload.aud).toBe(RESOURCE_SERVER);
    expect(payload.iss).toBe(emulator().issuer);
  });

  it(scenario("api-token-introspection", 18, "client_id manquant"), async () => {
    expectError(
      await introspect({}, ["client_id"]),
      400,
      "invalid_request",
      "no client authentication mechanism provided",
    );
  });

  it(scenario("api-token-introspection", 29, "client_secret manquant"), async () => {
    expectError(
      await introspect({}, ["client_secret"]),
      401,
      "invalid_client",
      "client authentication failed",
    );
  });

  it(scenario("api-token-introspection", 40, "token manquant"), async () => {
    expectError(
      await introspect({}, ["token"]),
      400,
      "invalid_request",
      "missing required parameter 'token'",
    );
  });

  it(
    scenario("api-token-introspection", 51, "Authentification client_secret invalide"),
    async () => {
      expectError(
        await introspect({ client_secret: "invalidclientsecret" }),
        401,
        "invalid_client",
        "client authentication failed",
      );
    },
  );

  it(scenario("api-token-introspection", 62, "Authentification client_id invalide"), async () => {
    expectError(
      await introspect({ client_id: "invalidclientid" }),
      401,
      "invalid_client",
      "client authentication failed",
    );
  });
});
