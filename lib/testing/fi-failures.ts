import type { Request, Response } from "express";
import type Provider from "oidc-provider";
import type { ResolvedEmulatorOptions } from "./options.js";
import { interactionPath } from "./paths.js";

// What ProConnect shows when the FI a person is sent to fails (back/libs/oidc-client/src/services/
// oidc-client.service.ts, its exceptions under back/libs/oidc-client/src/exceptions/, back/_doc/erreurs.md):
// an FI disabled in its settings (Y020017), one whose discovery fails (Y020031), one answering its
// callback with an OAuth error (Y020032). Each is ProConnect's own error page, not a redirect to the client:
// its "Réessayer de vous connecter" button ends the login with the error (interaction.controller.ts getError).

export type IdentityProviders = ResolvedEmulatorOptions["identityProviders"];

/** One of the pages of an FI's failure: its HTTP status, code, title and message. */
export interface FiFailure {
  status: number;
  code: string;
  title: string;
  /** The exception's message, shown as "message erreur" (none for a disabled FI). */
  message: string;
  /** What the retry button sends the client. */
  error: string;
  errorDescription: string;
}

/** The description ProConnect sends a client when a login ends on a technical error. */
export const TECHNICAL_ERROR =
  "authentication aborted due to a technical error on the authorization server";

/** AuthorizationResponseErrorException's message (Y020032): the FI's error, its description in brackets. */
export function fiErrorMessage(error: string, description?: string | null): string {
  return description ? `${error} (${description})` : error;
}

/** How the FI `idpId` fails, if it does. */
export function fiFailure(providers: IdentityProviders, idpId: string): FiFailure | undefined {
  const provider = providers[idpId];
  if (!provider) return undefined;
  if (provider.status === "disabled") {
    // OidcClientIdpDisabledException: 400, its own title.
    return {
      status: 400,
      code: "Y020017",
      title: "Accès indisponible",
      message: "",
      error: "server_error",
      errorDescription: TECHNICAL_ERROR,
    };
  }
  if (provider.status === "unreachable") {
    // OidcClientIssuerDiscoveryFailedException, whose message is openid-client's for a failed fetch.
    return {
      status: 502,
      code: "Y020031",
      title: "Accès impossible",
      message: "something went wrong",
      error: "server_error",
      errorDescription: TECHNICAL_ERROR,
    };
  }
  if (provider.error) {
    const { error, error_description: description } = provider.error;
    return {
      status: 502,
      code: "Y020032",
      title: "Accès impossible",
      message: fiErrorMessage(error, description),
      error: "invalid_request",
      errorDescription: TECHNICAL_ERROR,
    };
  }
  return undefined;
}

/** The error page's "Réessayer de vous connecter" link (base-exception.filter.ts interactionErrorUrl). */
export function retryUrl(uid: string, failure: Pick<FiFailure, "error" | "errorDescription">) {
  const query = `error=${encodeURIComponent(failure.error)}&error_description=${encodeURIComponent(failure.errorDescription)}`;
  return `${interactionPath(uid)}/error?${query}`;
}

/** GET /interaction/:uid/error: the login ends with the error of the query (oidc-provider's abort). */
export async function abortWithError(provider: Provider, req: Request, res: Response) {
  await provider.interactionDetails(req, res);
  const error = typeof req.query.error === "string" && req.query.error ? req.query.error : "";
  const description =
    typeof req.query.error_description === "string" ? req.query.error_description : "";
  await provider.interactionFinished(
    req,
    res,
    {
      error: error || "server_error",
      error_description: description || "An unexpected error occurred",
    },
    { mergeWithLastSubmission: false },
  );
}
