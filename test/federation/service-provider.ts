// The fixtures' test service provider (proconnect-gouv/federation, mock-service-provider/src/app.ts),
// on openid-client as it is: its default authorize parameters, its code exchange and userinfo, its
// "Révoquer le jeton", "Récupérer les informations utilisateurs" and "Se déconnecter" buttons.
import * as client from "openid-client";
import type { TestBrowser } from "../../lib/testing/index.js";
import { type NavigateOptions, type ProConnectEmulator } from "../../lib/testing/index.js";
import { CLIENT_SECRET, toRp } from "../helpers/emulator.js";
import { postLogoutUriOf, redirectUriOf, SP, USERINFO_ALG } from "./harness.js";

/** PC_SCOPES of the mock service provider. */
export const SP_SCOPES =
  "openid uid given_name usual_name email siren siret organizational_unit belonging_population phone chorusdt idp_id idp_acr custom roles organization_label";

/** AUTHORIZATION_DEFAULT_PARAMS: the "custom-params" box as the page fills it. */
export const defaultCustomParams = (): Record<string, unknown> => ({
  scope: SP_SCOPES,
  claims: { id_token: { amr: null } },
});

/** The custom-params box's values as sent (its objToUrlParams): objects as JSON, empty ones left out. */
export function customParams(custom: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(custom).flatMap(([name, value]) =>
      value ? [[name, typeof value === "object" ? JSON.stringify(value) : String(value)]] : [],
    ),
  );
}

/** What the service provider's page shows once signed in ("Information utilisateur"). */
export interface SignedIn {
  tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers;
  /** The id_token's claims (`#idtoken`). */
  idToken: client.IDToken;
  /** The userinfo (`#userinfo`). */
  userinfo: client.UserInfoResponse;
}

export class MockServiceProvider {
  readonly #emulator: ProConnectEmulator;
  readonly clientId: string;
  #config: client.Configuration | undefined;

  constructor(emulator: ProConnectEmulator, clientId: string = SP.default) {
    this.#emulator = emulator;
    this.clientId = clientId;
  }

  /** openid-client's discovery, as the mock does it on every request; the emulator signs with ES256. */
  async config(): Promise<client.Configuration> {
    this.#config ??= await client.discovery(
      new URL(this.#emulator.issuer),
      this.clientId,
      {
        id_token_signed_response_alg: "ES256",
        userinfo_signed_response_alg: USERINFO_ALG[this.clientId] ?? "ES256",
      },
      client.ClientSecretPost(CLIENT_SECRET),
      { execute: [client.allowInsecureRequests] },
    );
    return this.#config;
  }

  /**
   * "je clique sur le bouton ProConnect" with `custom` as the custom-params box (objects sent as JSON,
   * empty values left out), then the emulator's page with `as`, up to the callback: the code
   * exchanged and the userinfo read, as the mock's /oidc-callback does.
   */
  async signIn(
    browser: TestBrowser,
    as: NavigateOptions,
    custom: Record<string, unknown> = defaultCustomParams(),
  ): Promise<SignedIn> {
    const config = await this.config();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const params: Record<string, string> = {
      nonce,
      state,
      redirect_uri: redirectUriOf(this.clientId),
    };
    Object.assign(params, customParams(custom));
    const url = client.buildAuthorizationUrl(config, params);
    const page = await browser.navigate(url, { ...as, stopAt: toRp });
    if (!page.location) {
      throw new Error(
        `no redirect to the service provider: ${page.status} ${page.body.slice(0, 300)}`,
      );
    }
    const tokens = await client.authorizationCodeGrant(config, page.location, {
      expectedNonce: nonce,
      expectedState: state,
    });
    const idToken = tokens.claims();
    if (!idToken) throw new Error("no id_token");
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, idToken.sub);
    return { tokens, idToken, userinfo };
  }

  /** "Révoquer le jeton": the access token revoked. */
  async revoke(signedIn: SignedIn): Promise<void> {
    await client.tokenRevocation(await this.config(), signedIn.tokens.access_token);
  }

  /** "Récupérer les informations utilisateurs" again. */
  async fetchUserinfo(signedIn: SignedIn): Promise<client.UserInfoResponse> {
    return client.fetchUserInfo(
      await this.config(),
      signedIn.tokens.access_token,
      signedIn.idToken.sub,
    );
  }

  /**
   * "Se déconnecter (avec / sans redirection vers le service)": the end-session URL with the
   * id_token_hint, and the post-logout redirect URI unless `redirect` is false.
   */
  async logoutUrl(signedIn: SignedIn, redirect: boolean): Promise<URL> {
    const params: Record<string, string> = { id_token_hint: signedIn.tokens.id_token ?? "" };
    if (redirect) params.post_logout_redirect_uri = postLogoutUriOf(this.clientId);
    return client.buildEndSessionUrl(await this.config(), params);
  }
}
