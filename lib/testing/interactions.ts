import express, { type Request, type Response, type Router } from "express";
import type Provider from "oidc-provider";
import { form } from "./front-channel.js";
import type { EmulatorIdentity } from "./options.js";
import { loginPage } from "./pages.js";
import { interactionPath } from "./paths.js";

type Details = Awaited<ReturnType<Provider["interactionDetails"]>>;

/**
 * The login page oidc-provider sends the user to: an identity is picked by `idp_hint` (no page then),
 * by e-mail address or from the list; consent is never asked, as on ProConnect.
 */
export function interactionRoutes(
  provider: Provider,
  identities: readonly EmulatorIdentity[],
): Router {
  const router = express.Router();
  const bySub = new Map(identities.map((identity) => [identity.sub, identity]));

  router.get(interactionPath(":uid"), async (req, res, next) => {
    try {
      const details = await provider.interactionDetails(req, res);
      const params = details.params as Record<string, string | undefined>;
      if (details.prompt.name === "consent") {
        await grantConsent(provider, req, res, details);
        return;
      }
      // idp_hint sends the user straight to that identity provider: no e-mail page.
      const hinted = identities.filter((identity) => identity.idp_id === params.idp_hint);
      const hint = params.login_hint?.toLowerCase();
      const identity =
        hinted.find((i) => hint !== undefined && i.email?.toLowerCase() === hint) ?? hinted[0];
      if (identity) {
        await finishLogin(provider, req, res, details, identity);
        return;
      }
      res.type("html").send(
        loginPage({
          action: `${interactionPath(details.uid)}/login`,
          loginHint: params.login_hint,
          identities,
        }),
      );
    } catch (error) {
      next(error);
    }
  });

  router.post(`${interactionPath(":uid")}/login`, form, async (req, res, next) => {
    try {
      const details = await provider.interactionDetails(req, res);
      const body = (req.body ?? {}) as Record<string, unknown>;
      const email = typeof body.email === "string" ? body.email.trim().toLowerCase() : undefined;
      const identity =
        typeof body.sub === "string"
          ? bySub.get(body.sub)
          : identities.find((candidate) => email && candidate.email?.toLowerCase() === email);
      if (!identity) {
        const page = loginPage({
          action: `${interactionPath(details.uid)}/login`,
          loginHint: email,
          identities,
          error: "Aucune identité de test ne correspond à cette adresse e-mail.",
        });
        res.status(400).type("html").send(page);
        return;
      }
      await finishLogin(provider, req, res, details, identity);
    } catch (error) {
      next(error);
    }
  });
  return router;
}

/** ProConnect asks no consent: grant what the service provider asked for. */
async function grantConsent(provider: Provider, req: Request, res: Response, details: Details) {
  const grantId = await saveGrant(provider, details, details.session?.accountId ?? "");
  await provider.interactionFinished(
    req,
    res,
    { consent: { grantId } },
    { mergeWithLastSubmission: true },
  );
}

/** Ends the login: with the acr the identity reaches, or ProConnect's access_denied. */
async function finishLogin(
  provider: Provider,
  req: Request,
  res: Response,
  details: Details,
  identity: EmulatorIdentity,
) {
  const acr = chooseAcr(identity, details.params as Record<string, unknown>);
  if (acr === undefined) {
    await provider.interactionFinished(
      req,
      res,
      {
        error: "access_denied",
        error_description: "the identity provider cannot satisfy the essential acr requested",
      },
      { mergeWithLastSubmission: false },
    );
    return;
  }
  const grantId = await saveGrant(provider, details, identity.sub);
  await provider.interactionFinished(
    req,
    res,
    {
      login: { accountId: identity.sub, acr, amr: identity.amr, remember: true },
      consent: { grantId },
    },
    { mergeWithLastSubmission: false },
  );
}

async function saveGrant(provider: Provider, details: Details, accountId: string) {
  const clientId = String(details.params.client_id);
  const existing = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
  const grant =
    existing && existing.accountId === accountId
      ? existing
      : new provider.Grant({ accountId, clientId });
  grant.addOIDCScope(String(details.params.scope ?? "openid"));
  const requested = requestedClaims(details.params.claims);
  if (requested.length > 0) grant.addOIDCClaims(requested);
  return grant.save();
}

interface AcrRequest {
  essential?: boolean;
  value?: string;
  values?: string[];
}

function parseClaims(
  raw: unknown,
): Record<string, Record<string, unknown> | undefined> | undefined {
  if (typeof raw !== "string") return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    return parsed && typeof parsed === "object"
      ? (parsed as Record<string, Record<string, unknown>>)
      : undefined;
  } catch {
    return undefined; // oidc-provider has already refused a malformed claims parameter.
  }
}

function requestedClaims(raw: unknown): string[] {
  const claims = parseClaims(raw);
  return [...Object.keys(claims?.id_token ?? {}), ...Object.keys(claims?.userinfo ?? {})];
}

/**
 * The acr of this login: an essential acr the identity cannot reach gives `undefined` (ProConnect then
 * answers access_denied); otherwise the first requested value the identity reaches, else its usual one.
 */
function chooseAcr(
  identity: EmulatorIdentity,
  params: Record<string, unknown>,
): string | undefined {
  const request = parseClaims(params.claims)?.id_token?.acr as AcrRequest | undefined;
  const wanted = request?.values ?? (request?.value ? [request.value] : []);
  const reachable = (value: string) => (identity.acr as readonly string[]).includes(value);
  const granted = wanted.find(reachable);
  if (request?.essential && wanted.length > 0) return granted;
  const acrValues = typeof params.acr_values === "string" ? params.acr_values.split(" ") : [];
  return granted ?? acrValues.find(reachable) ?? identity.acr[0];
}
