// Steps of the usager features shared by their ports: the mock service provider's authorize request
// (its custom-params box) and the emulator's login page, which stands for ProConnect's interaction
// page and the FI's login page.
import { randomBytes } from "node:crypto";
import { redirectUriOf, SP } from "./harness.js";
import { defaultCustomParams } from "./service-provider.js";

/**
 * The authorize request of the fixtures' mock service provider, "je clique sur le bouton ProConnect":
 * its default custom params (scopes, `claims` asking for `amr`, no `acr_values`, no `prompt`), a new
 * state and nonce. `custom` changes them as its custom-params box does: objects are sent as JSON, and
 * an empty or `undefined` value removes the parameter (its objToUrlParams).
 */
export function spAuthorizeParams(
  clientId: string = SP.default,
  custom: Record<string, unknown> = {},
): URLSearchParams {
  const all: Record<string, unknown> = {
    nonce: randomBytes(16).toString("hex"),
    state: randomBytes(16).toString("hex"),
    client_id: clientId,
    response_type: "code",
    redirect_uri: redirectUriOf(clientId),
    ...defaultCustomParams(),
    ...custom,
  };
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(all)) {
    if (!value) continue;
    params.set(name, typeof value === "object" ? JSON.stringify(value) : String(value));
  }
  return params;
}

/**
 * The action of the emulator's login page, "je suis redirigé vers la page interaction" (and the FI's
 * login page); undefined on any other page.
 */
export function loginFormOf(html: string): string | undefined {
  const action = /<form method="post" action="([^"]*\/interaction\/[^"]+\/login)"/.exec(html)?.[1];
  return action?.replace(/&amp;/g, "&");
}
