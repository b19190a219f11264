// api/api-oidc-callback.feature
// ProConnect's own callback from the FIs. The emulator's login page stands for the FI's: showing it is
// ProConnect sending the person to the FI, and the page carries the state ProConnect sent it
// (`data-fi-state`), which the steps read from the FI's authorize URL ("le state fourni par AC"). The
// FI's issuer (`iss`) the steps add is sent, and not checked: the emulator's FIs have no URL.
import { describe, expect, it } from "vitest";
import { TestBrowser } from "../../lib/testing/index.js";
import { toRp } from "../helpers/emulator.js";
import { authorizeParams, errorPageOf, login, scenario, useFederation } from "./harness.js";

const emulator = useFederation();

// api-common.json's "oidc-callback".
const FIXTURE_CODE = "FRdEP6Pt4zIrHmzytWM_CZfzvkTd_cLEAPUznce_V7R";
const FIXTURE_STATE = "93f3526894944aebb3163e50b776fc2e7d904e7a2e0e4ca4808992115ed058e5";
const FI_ISSUER = "https://fia1-low.docker.dev-franceconnect.fr";

/**
 * "je clique sur le bouton ProConnect", "j'entre l'email", "je clique sur le bouton de connexion": the
 * person is at the FI's page (the emulator's login page), and the state ProConnect sent the FI.
 */
async function atTheFi() {
  const browser = new TestBrowser();
  const page = await browser.navigate(
    `${emulator().issuer}/authorize?${authorizeParams().toString()}`,
    { stopAt: toRp },
  );
  const fiState = /data-fi-state="([^"]+)"/.exec(page.body)?.[1];
  if (!fiState) throw new Error(`not on the login page: ${page.status} ${page.body.slice(0, 300)}`);
  return { browser, fiState };
}

/** "je lance la requête" oidc-callback with the browser's cookies, its parameters set or removed. */
async function callback(browser: TestBrowser, set: Record<string, string>, remove: string[] = []) {
  const params = new URLSearchParams({ code: FIXTURE_CODE, state: FIXTURE_STATE, ...set });
  for (const name of remove) params.delete(name);
  const response = await browser.fetch(`${emulator().issuer}/oidc-callback?${params.toString()}`);
  return {
    status: response.status,
    type: response.headers.get("content-type"),
    body: await response.text(),
  };
}

function expectTechnicalError(
  response: Awaited<ReturnType<typeof callback>>,
  code: string,
  message?: string,
) {
  expect(response.status).toBe(400);
  expect(response.type).toContain("text/html");
  expect(response.body).toContain("<html");
  const page = errorPageOf(response.body);
  expect(page.code).toBe(code);
  if (message !== undefined) expect(page.message).toBe(message);
}

describe("api-oidc-callback.feature", () => {
  it(scenario("api-oidc-callback", 5, "API oidc-callback - state manquant"), async () => {
    const { browser } = await atTheFi();
    expectTechnicalError(await callback(browser, {}, ["state"]), "Y020026");
  });

  it(scenario("api-oidc-callback", 19, "API oidc-callback - state vide"), async () => {
    const { browser } = await atTheFi();
    expectTechnicalError(await callback(browser, { state: "" }), "Y020026");
  });

  it(scenario("api-oidc-callback", 33, "API oidc-callback - mauvais state"), async () => {
    const { browser } = await atTheFi();
    expectTechnicalError(await callback(browser, {}), "Y020026");
  });

  it(scenario("api-oidc-callback", 46, "API oidc-callback - code manquant"), async () => {
    const { browser, fiState } = await atTheFi();
    const response = await callback(browser, { state: fiState, iss: FI_ISSUER }, ["code"]);
    expectTechnicalError(response, "Y020026", "invalid response encountered");
  });

  it(scenario("api-oidc-callback", 64, "API oidc-callback - code vide"), async () => {
    const { browser, fiState } = await atTheFi();
    const response = await callback(browser, { state: fiState, iss: FI_ISSUER, code: "" });
    expectTechnicalError(response, "Y020026", "invalid response encountered");
  });

  it(
    scenario("api-oidc-callback", 93, "API oidc-callback - bon state mais mauvais code"),
    async () => {
      const { browser, fiState } = await atTheFi();
      const response = await callback(browser, { state: fiState, iss: FI_ISSUER });
      expectTechnicalError(
        response,
        "Y020026",
        "server responded with an error in the response body",
      );
    },
  );
});

// "le fournisseur d'identité renvoie l'erreur …": the FI of test@fia1.fr answers with that error
// (option identityProviders), on an emulator of its own.
describe("api-oidc-callback.feature, an FI that answers with an error", () => {
  const failing = useFederation({
    identityProviders: {
      fia1v2: { error: { error: "invalid_scope", error_description: "your scopes are invalid" } },
    },
  });

  it(
    scenario(
      "api-oidc-callback",
      82,
      "API oidc-callback - affichage de l'erreur remontée via le paramètre error",
    ),
    async () => {
      const { status, body } = await login(failing(), authorizeParams(), { email: "test@fia1.fr" });
      expect(status).toBe(502);
      expect(errorPageOf(body)).toMatchObject({
        code: "Y020032",
        message: "invalid_scope (your scopes are invalid)",
      });
    },
  );
});
