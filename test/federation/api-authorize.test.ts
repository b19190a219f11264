// api/api-authorize.feature
import { describe, expect, it } from "vitest";
import { TestBrowser } from "../../lib/testing/index.js";
import { testClient } from "../helpers/emulator.js";
import {
  authorize,
  authorizeParams,
  callbackParams,
  errorPageOf,
  federationClients,
  redirectUriOf,
  scenario,
  SP,
  useFederation,
} from "./harness.js";

const DEACTIVATED = "my-service-provider-deactivated";
// service-providers.json: a client whose redirect_uri is on localhost, accepted on integration.
const LOCALHOST_CLIENT = "214f336f-fa6d-463a-818b-c80a3e74cd1c";

const emulator = useFederation({
  clients: [
    ...federationClients(),
    testClient({
      clientId: DEACTIVATED,
      redirectUris: [redirectUriOf(DEACTIVATED)],
      active: false,
    }),
    testClient({
      clientId: LOCALHOST_CLIENT,
      redirectUris: ["http://localhost:3000/login-callback"],
    }),
  ],
});

/** "je lance la requête" with redirects followed (cookies kept), then "je suis redirigé vers la page interaction". */
async function expectInteractionPage(params: URLSearchParams) {
  const page = await new TestBrowser().navigate(
    `${emulator().issuer}/authorize?${params.toString()}`,
  );
  expect(page.status).toBe(200);
  expect(page.headers.get("content-type")).toContain("text/html");
  expect(page.body).toContain("<html");
  expect(page.url.pathname).toMatch(/\/interaction\/[^/]+$/);
  expect(page.body).toContain('name="email"');
}

/**
 * A 303 to the callback with `error` and `error_description` in the query (or the fragment), the
 * description encoded as `encodeURIComponent` encodes it: the steps compare the literal Location.
 */
async function expectCallbackError(
  set: Record<string, string>,
  error: string,
  description: string,
  delimiter: "?" | "#" = "?",
) {
  const response = await authorize(emulator(), set);
  expect(response.status).toBe(303);
  expect(response.headers.get("content-type")).toContain("text/html");
  const location = response.location ?? "";
  expect(location.startsWith(`${redirectUriOf(SP.default)}${delimiter}error=`)).toBe(true);
  expect(location).toMatch(/[?#]error=[^&]+&error_description=[^&]+&state=[^&]+&iss=[^&]+$/);
  expect(location).toContain(`error=${error}&`);
  // The step's own check: the description, as encodeURIComponent writes it, is in the Location.
  expect(location).toContain(`error_description=${encodeURIComponent(description)}`);
  expect(callbackParams(location).params.get("error_description")).toContain(description);
}

describe("api-authorize.feature", () => {
  for (const clientId of ["inconnu", DEACTIVATED]) {
    it(scenario("api-authorize", 3, `erreur InvalidClient client_id=${clientId}`), async () => {
      const response = await authorize(emulator(), { client_id: clientId });
      expect(response.status).toBe(400);
      expect(response.headers.get("content-type")).toContain("text/html");
      expect(response.body).toContain("<html");
      const page = errorPageOf(response.body);
      expect([page.code, page.message, page.backLink]).toEqual([
        "oidc-provider-rendered-error:invalid_client",
        "client is invalid",
        false,
      ]);
    });
  }

  it(scenario("api-authorize", 21, "localhost autorisé en integ (@ignoreDocker)"), async () => {
    await expectInteractionPage(
      authorizeParams({
        client_id: LOCALHOST_CLIENT,
        redirect_uri: "http://localhost:3000/login-callback",
      }),
    );
  });

  for (const prompt of ["login", "consent", "login consent", "consent login"]) {
    it(scenario("api-authorize", 31, `Cas nominal prompt=${prompt}`), async () => {
      await expectInteractionPage(authorizeParams({ prompt }));
    });
  }

  it(scenario("api-authorize", 47, "prompt n'est pas défini"), async () => {
    await expectInteractionPage(authorizeParams({}, ["prompt"]));
  });

  for (const [prompt, error, description] of [
    ["none", "login_required", "End-User authentication is required"],
    ["none login", "invalid_request", "prompt none must only be used alone"],
    ["none consent", "invalid_request", "prompt none must only be used alone"],
  ] as const) {
    it(scenario("api-authorize", 56, `erreur prompt=${prompt} sans session`), async () => {
      await expectCallbackError({ prompt }, error, description);
    });
  }

  it(scenario("api-authorize", 73, "Cas nominal sans nonce"), async () => {
    await expectInteractionPage(authorizeParams({}, ["nonce"]));
  });

  it(scenario("api-authorize", 82, "Cas nominal avec response_mode (ignoré)"), async () => {
    await expectInteractionPage(authorizeParams({ response_mode: "fragment" }));
  });

  for (const [codeChallenge, description] of [
    ["", "code_challenge must be provided with code_challenge_method"],
    [
      "Petit code challenge",
      "code_challenge must be a string with a minimum length of 43 characters",
    ],
    [
      "Code challenge accentué d'au moins 43 caractères",
      "code_challenge contains invalid characters",
    ],
  ] as const) {
    const title = `Erreur invalid_request avec code_challenge=${codeChallenge}`;
    it(scenario("api-authorize", 91, title), async () => {
      const set = { code_challenge: codeChallenge, code_challenge_method: "S256" };
      await expectCallbackError(set, "invalid_request", description);
    });
  }

  for (const [method, description] of [
    ["", "plain code_challenge_method fallback disabled, code_challenge_method must be provided"],
    ["plain", "not supported value of code_challenge_method"],
  ] as const) {
    const title = `Erreur invalid_request avec code_challenge_method=${method}`;
    it(scenario("api-authorize", 109, title), async () => {
      const set = {
        code_challenge: "test_challenge_qui_fait_au_moins_43_caracteres",
        code_challenge_method: method,
      };
      await expectCallbackError(set, "invalid_request", description);
    });
  }

  for (const [responseType, error, description] of [
    ["", "invalid_request", "missing required parameter"],
    ["inconnu", "unsupported_response_type", "unsupported response_type requested"],
  ] as const) {
    const title = `Erreur ${error} avec response_type=${responseType}`;
    it(scenario("api-authorize", 126, title), async () => {
      await expectCallbackError({ response_type: responseType }, error, description);
    });
  }

  // "code token" is twice among the feature's examples: both rows are kept.
  const fragmentRows = ["id_token", "id_token token", "code id_token", "code token", "code token"];
  for (const [row, responseType] of fragmentRows.entries()) {
    const title = `unsupported_response_type avec response_type=${responseType} en fragment (exemple ${row + 1})`;
    it(scenario("api-authorize", 145, title), async () => {
      await expectCallbackError(
        { response_type: responseType },
        "unsupported_response_type",
        "unsupported response_type requested",
        "#",
      );
    });
  }
});
