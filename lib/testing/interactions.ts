import express, { type Request, type RequestHandler, type Response, type Router } from "express";
import type Provider from "oidc-provider";
import { ACR_VALUES } from "../acr.js";
import type { Accounts } from "./accounts.js";
import {
  abortWithError,
  fiFailure,
  retryUrl,
  TECHNICAL_ERROR,
  type FiFailure,
  type IdentityProviders,
} from "./fi-failures.js";
import { form } from "./front-channel.js";
import { defaultContactHref, invalidIdentityHref } from "./support-links.js";
import type { EmulatorClient, EmulatorIdentity } from "./options.js";
import { emailCodePage, errorPage, loginPage, serviceUrlOf } from "./pages.js";
import { interactionPath } from "./paths.js";
import type { Mailbox, ProConnectSession, ProConnectSessions } from "./pc-session.js";
import { rememberedEmail, rememberEmail } from "./remember-me.js";
import { sanitizeIdentity, type SanitizeOptions } from "./sanitizer.js";

// ProConnect's interaction controller (back/apps/core-fca-low/src/controllers/interaction.controller.ts),
// its e-mail code controller (email-verification.controller.ts) and its acr rules
// (back/libs/oidc-acr/src/oidc-acr.service.ts). The emulator's login page stands for both
// ProConnect's e-mail page and the FI's own login page: signing in there is the FI's answer.

type Details = Awaited<ReturnType<Provider["interactionDetails"]>>;
type Params = Record<string, unknown>;

export interface InteractionSetup {
  provider: Provider;
  identities: readonly EmulatorIdentity[];
  /** The FIs ProConnect knows: those of the identities and of the `identityProviders` option. */
  idpIds: ReadonlySet<string>;
  clients: ReadonlyMap<string, EmulatorClient>;
  sessions: ProConnectSessions;
  mailbox: Mailbox;
  /** What ProConnect last sent for each person: its userinfo answers from it. */
  sentClaims: Map<string, Record<string, unknown>>;
  /** ProConnect's accounts: the `sub` clients get for each FI login. */
  accounts: Accounts;
  /** The FIs' settings: some fail on purpose. */
  identityProviders: IdentityProviders;
  sanitize: SanitizeOptions;
}

// oidc-provider.ts: acrValuesThatRequireNewSession.
const NEW_SESSION_ACRS: ReadonlySet<string> = new Set(["eidas2", "eidas3"]);
// oidc-acr.service.ts: what a code by e-mail adds to an FI's level.
const EMAIL_CODE_ACR: Readonly<Record<string, string>> = {
  eidas1: "eidas1-mfa",
  eidas0: "eidas0-mfa",
};
const SUPPORTED: ReadonlySet<string> = new Set(ACR_VALUES);

/** What the steps share: the setup, and the identities by sub. */
interface Steps extends InteractionSetup {
  bySub: ReadonlyMap<string, EmulatorIdentity>;
}

type Step = (steps: Steps, req: Request, res: Response) => Promise<void>;

const codePath = (uid: string) => `${interactionPath(uid)}/verification-email`;

/** The login pages: ProConnect's session reuse, the hints, the FI's answer, the e-mail code step. */
export function interactionRoutes(setup: InteractionSetup): Router {
  const steps: Steps = {
    ...setup,
    bySub: new Map(setup.identities.map((identity) => [identity.sub, identity])),
  };
  const step =
    (run: Step): RequestHandler =>
    (req, res, next) => {
      run(steps, req, res).catch(next);
    };
  const router = express.Router();
  router.get(interactionPath(":uid"), step(startInteraction));
  router.post(`${interactionPath(":uid")}/login`, form, step(submitLogin));
  router.get(codePath(":uid"), step(showCodePage(false)));
  router.post(codePath(":uid"), form, step(submitCode));
  router.post(`${codePath(":uid")}/renvoi`, form, step(showCodePage(true)));
  // The emulator's stand-in for the person's inbox, for TestBrowser: the code sent for this login.
  router.get(`${codePath(":uid")}/boite-mail`, step(showMailbox));
  router.get(
    `${interactionPath(":uid")}/error`,
    step((s, req, res) => abortWithError(s.provider, req, res)),
  );
  return router;
}

/** A login begins: refused, ProConnect's session reused, straight to a hinted FI, or the login page. */
async function startInteraction(steps: Steps, req: Request, res: Response): Promise<void> {
  const { provider, identities, sessions } = steps;
  const details = await provider.interactionDetails(req, res);
  const params = details.params as Params;
  const idpHint = stringParam(params.idp_hint);
  const loginHint = stringParam(params.login_hint);
  // A login already finished, and oidc-provider still finds its essential acr unmet. When ProConnect
  // supports one of the values asked for, it goes round again (its session does not meet them: a new
  // login). When it supports none (an acr it no longer supports, say), its session would be reused
  // and the same acr sent back forever: that is reported to end in access_denied.
  const acrReasons = details.prompt.reasons.filter((reason) => reason.startsWith("essential_acr"));
  if (details.lastSubmission?.login && acrReasons.length > 0 && !essentialAcr(details)) {
    const description =
      acrReasons[0] === "essential_acrs"
        ? "none of the requested ACRs could be obtained"
        : "requested ACR could not be obtained";
    await abort(provider, req, res, "access_denied", description);
    return;
  }
  if (idpHint !== undefined && !steps.idpIds.has(idpHint)) {
    await abort(provider, req, res, "idp_hint_not_found", "provided idp_hint could not be found");
    return;
  }

  const current = await sessions.get(req);
  const identity = current && steps.bySub.get(current.session.idpSub);
  const canReuse =
    current !== undefined &&
    identity !== undefined &&
    (loginHint === undefined || identity.email === loginHint) &&
    (idpHint === undefined || identity.idp_id === idpHint) &&
    isEssentialAcrSatisfied(current.session, essentialAcr(details));
  if (canReuse) {
    await verify(steps, req, res, details, current.id, current.session);
    return;
  }
  if (current) await sessions.end(req, res);

  // redirectToIdpWithIdpId: ProConnect fails on a hinted FI that is disabled or unreachable before
  // anyone signs in there (getProviderConfig); the emulator skips a hinted FI's page, so its error too.
  const hintedFailure = idpHint && fiFailure(steps.identityProviders, idpHint);
  if (hintedFailure) {
    sendFiFailure(res, details, hintedFailure);
    return;
  }
  const chosen = hintedIdentity(identities, idpHint, loginHint);
  if (chosen) {
    await signInAtFi(steps, req, res, details, chosen);
    return;
  }
  const fiState = await sessions.sendToFi(req, res, details.uid);
  // email-fca.js: the box is ticked when an address is remembered; a login_hint is remembered.
  const remembered = rememberedEmail(req);
  if (loginHint !== undefined) rememberEmail(res, loginHint);
  res.type("html").send(
    loginPage({
      action: `${interactionPath(details.uid)}/login`,
      loginHint: loginHint ?? remembered,
      remembered: remembered !== undefined,
      identities,
      serviceUrl: serviceUrlOf(params.redirect_uri),
      fiState,
      fiRequest: fiRequestOf(steps.clients, params),
    }),
  );
}

/**
 * What ProConnect adds to its authorize request to the FI (core-fca-controller.service.ts
 * redirectToIdpWithIdpId, customAuthorizeParams): the FI's page shows them.
 */
function fiRequestOf(clients: ReadonlyMap<string, EmulatorClient>, params: Params) {
  const spId = String(params.client_id);
  const hints = Object.fromEntries(
    ["login_hint", "siret_hint"].flatMap((name) => {
      const value = stringParam(params[name]);
      return value === undefined ? [] : [[name, value]];
    }),
  ) as Record<string, string>;
  return { ...hints, sp_id: spId, sp_name: clients.get(spId)?.name ?? spId };
}

/** idp_hint: straight to that FI (the hinted address's identity there, if any); login_hint alone: that address's FI. */
function hintedIdentity(
  identities: readonly EmulatorIdentity[],
  idpHint: string | undefined,
  loginHint: string | undefined,
): EmulatorIdentity | undefined {
  const byEmail = (candidate: EmulatorIdentity) =>
    loginHint !== undefined && candidate.email === loginHint;
  if (idpHint === undefined) return identities.find(byEmail);
  const hinted = identities.filter((candidate) => candidate.idp_id === idpHint);
  return hinted.find(byEmail) ?? hinted[0];
}

/** The login page's form: the identity chosen (by sub) or typed (by e-mail) signs in at its FI. */
async function submitLogin(steps: Steps, req: Request, res: Response): Promise<void> {
  const { provider, identities } = steps;
  const details = await provider.interactionDetails(req, res);
  const body = (req.body ?? {}) as Record<string, unknown>;
  const email = typeof body.email === "string" ? body.email.trim().toLowerCase() : undefined;
  // The e-mail form's button (email-fca.js): its box ticked keeps the address, else forgets it.
  if (typeof body.sub !== "string") {
    rememberEmail(
      res,
      body.rememberMe && typeof body.email === "string" ? body.email.trim() : undefined,
    );
  }
  const identity =
    typeof body.sub === "string"
      ? steps.bySub.get(body.sub)
      : identities.find((candidate) => email && candidate.email?.toLowerCase() === email);
  if (!identity) {
    const page = loginPage({
      action: `${interactionPath(details.uid)}/login`,
      loginHint: email,
      remembered: Boolean(body.rememberMe),
      identities,
      error: "Aucune identité de test ne correspond à cette adresse e-mail.",
      serviceUrl: serviceUrlOf(details.params.redirect_uri),
    });
    res.status(400).type("html").send(page);
    return;
  }
  await signInAtFi(steps, req, res, details, identity);
}

/**
 * The e-mail code page, the code sent once; `requested`, its "Recevoir un nouveau code" button
 * (postResendVerifyEmail): a new code once the cooldown is over.
 */
function showCodePage(requested: boolean) {
  return async (steps: Steps, req: Request, res: Response): Promise<void> => {
    const details = await steps.provider.interactionDetails(req, res);
    const pending = await pendingCodeStep(steps.sessions, req, res);
    if (!pending) return;
    const sent = steps.mailbox.sendCodeIfNeeded(pending.email, requested);
    res.type("html").send(codePage(details, steps.mailbox, pending.email, sent));
  };
}

/** The code typed: wrong, too many tries, or right (the session gains `mail`, and the login goes on). */
async function submitCode(steps: Steps, req: Request, res: Response): Promise<void> {
  const { provider, sessions, mailbox } = steps;
  const details = await provider.interactionDetails(req, res);
  const pending = await pendingCodeStep(sessions, req, res);
  if (!pending) return;
  const body = (req.body ?? {}) as Record<string, unknown>;
  const typed = typeof body.verify_email_token === "string" ? body.verify_email_token : "";
  const checked = mailbox.check(pending.email, typed);
  if (checked !== "ok") {
    const error =
      checked === "blocked"
        ? "Vous avez dépassé le nombre de tentatives autorisées. Veuillez réessayer plus tard."
        : "Le code rentré est invalide ou expiré.";
    res
      .status(checked === "blocked" ? 429 : 400)
      .type("html")
      .send(codePage(details, mailbox, pending.email, false, error));
    return;
  }
  const { id, session } = pending.current;
  const verified = { ...session, emailVerified: true, spAmr: [...session.spAmr, "mail"] };
  await sessions.save(id, verified);
  await verify(steps, req, res, details, id, verified);
}

/** The code sent for this login, as JSON. */
async function showMailbox(steps: Steps, req: Request, res: Response): Promise<void> {
  await steps.provider.interactionDetails(req, res);
  const pending = await pendingCodeStep(steps.sessions, req, res);
  if (!pending) return;
  res.json({ email: pending.email, code: steps.mailbox.lastCode(pending.email) ?? null });
}

/**
 * The code page, its notice showing the code the person may still type (none once the attempts ran
 * out) and its "Recevoir un nouveau code" button enabled when the mailbox allows another.
 */
function codePage(
  details: Details,
  mailbox: Mailbox,
  email: string,
  sent: boolean,
  error?: string,
) {
  return emailCodePage({
    action: codePath(details.uid),
    mailbox: `${codePath(details.uid)}/boite-mail`,
    email,
    sent,
    code: mailbox.usableCode(email),
    error,
    serviceUrl: serviceUrlOf(details.params.redirect_uri),
    resend: { action: `${codePath(details.uid)}/renvoi`, availableAt: mailbox.resendAt(email) },
  });
}

/** The session waiting for its e-mail code, or an error page when there is none. */
async function pendingCodeStep(sessions: ProConnectSessions, req: Request, res: Response) {
  const current = await sessions.get(req);
  const email = current?.session.claims.email;
  if (!current || typeof email !== "string") {
    res
      .status(400)
      .type("html")
      .send(
        errorPage(
          "session_not_found",
          "no ProConnect session waiting for an e-mail code",
          "Y030110",
        ),
      );
    return undefined;
  }
  return { current, email };
}

/** ProConnect's page for the FI's failure, its retry button ending the login with the error. */
function sendFiFailure(res: Response, details: Details, failure: FiFailure): void {
  const page = errorPage(
    failure.error,
    failure.message,
    failure.code,
    serviceUrlOf(details.params.redirect_uri),
    failure.title,
    { retryUrl: retryUrl(details.uid, failure) },
  );
  res.status(failure.status).type("html").send(page);
}

/**
 * The FI signs the person in (oidc-client.controller.ts getOidcCallback): its acr and amr, then
 * ProConnect's clean-up of the identity, which may refuse it (Y500006), and a new ProConnect session.
 */
async function signInAtFi(
  setup: InteractionSetup,
  req: Request,
  res: Response,
  details: Details,
  identity: EmulatorIdentity,
) {
  const failure = fiFailure(setup.identityProviders, identity.idp_id);
  if (failure) {
    sendFiFailure(res, details, failure);
    return;
  }
  // An FI with acr values of its own answers with its acr whatever was asked.
  const idpAcr = setup.sanitize.identityProviders[identity.idp_id]?.acr ?? fiAcr(identity, details);
  const sanitized = sanitizeIdentity(identity, idpAcr, setup.sanitize);
  if (!sanitized.ok) {
    const page = errorPage(
      "server_error",
      `${TECHNICAL_ERROR}: the identity provider sent an invalid identity (${sanitized.description})`,
      "Y500006",
      serviceUrlOf(details.params.redirect_uri),
      "Accès impossible",
      { contactHref: invalidIdentityHref(sanitized.constraints, sanitized.target) },
    );
    res.status(sanitized.status).type("html").send(page);
    return;
  }
  // oidc-client.controller.ts: the account is found or created once the identity is valid.
  const email = typeof sanitized.claims.email === "string" ? sanitized.claims.email : undefined;
  const sub = setup.accounts.signIn(identity, email);
  const session: ProConnectSession = {
    sub,
    idpSub: identity.sub,
    idpAcr,
    idpAmr: [...identity.amr],
    spAmr: [...identity.amr],
    emailVerified: false,
    claims: { ...sanitized.claims, sub },
  };
  const id = await setup.sessions.open(res, session);
  await verify(setup, req, res, details, id, session);
}

/**
 * ProConnect's last checks before the client gets its code (interaction.controller.ts getVerify): the
 * client's e-mail domains (Y500025), its restriction to public agents (Y500015), then the acr, which
 * may need a code by e-mail first, or end in access_denied.
 */
async function verify(
  setup: InteractionSetup,
  req: Request,
  res: Response,
  details: Details,
  _sessionId: string,
  session: ProConnectSession,
) {
  const { provider, clients, sentClaims } = setup;
  const params = details.params as Params;
  const client = clients.get(String(params.client_id));
  const { claims } = session;
  const email = typeof claims.email === "string" ? claims.email : "";

  if (!setup.accounts.isActive(session.sub)) {
    // CoreFcaAgentAccountBlockedException: a message of its description, no support link.
    const page = errorPage(
      "access_denied",
      "Votre compte n’est plus actif, vous ne pouvez pas accéder au service demandé.",
      "Y500024",
      serviceUrlOf(params.redirect_uri),
      "Accès impossible",
    );
    res.status(400).type("html").send(page);
    return;
  }

  const domains = client?.allowedEmailDomains;
  if (domains && !domains.includes(email.slice(email.lastIndexOf("@") + 1).toLowerCase())) {
    const page = errorPage(
      "access_denied",
      `authentication aborted due to a configuration limitation: this service accepts only e-mail addresses of ${domains.join(", ")}`,
      "Y500025",
      serviceUrlOf(params.redirect_uri),
    );
    res.status(400).type("html").send(page);
    return;
  }
  const roles = Array.isArray(claims.roles) ? (claims.roles as unknown[]) : [];
  if (client?.publicAgentsOnly && !roles.includes("agent_public")) {
    const label = typeof claims.organization_label === "string" ? claims.organization_label : "";
    // CoreFcaAgentNotFromPublicServiceException's message, and the default support link.
    const message = `The user's roles are: [${roles.join(", ")}]; the user is linked to the non-public organization: ${label} (SIRET: ${String(claims.siret)})`;
    const idpId = String(claims.idp_id);
    const contactHref = defaultContactHref({
      code: "Y500015",
      message,
      spName: client.name ?? client.clientId,
      idpName: setup.identityProviders[idpId]?.name ?? idpId,
    });
    const page = errorPage(
      "access_denied",
      message,
      "Y500015",
      serviceUrlOf(params.redirect_uri),
      "Email non autorisé",
      { contactHref },
    );
    res.status(400).type("html").send(page);
    return;
  }

  const essential = essentialAcr(details);
  const acr = interactionAcr(session, essential);
  if (acr === undefined) {
    if (canEmailCodeSatisfy(session, essential)) {
      res.redirect(303, `${interactionPath(details.uid)}/verification-email`);
      return;
    }
    await abort(provider, req, res, "access_denied", "requested ACRs could not be satisfied");
    return;
  }

  sentClaims.set(session.sub, claims);
  const grantId = await saveGrant(provider, details, session.sub);
  await provider.interactionFinished(
    req,
    res,
    {
      // An FI that sends no amr: none in the id_token either (oidc-client.controller.ts keeps its undefined).
      login: {
        accountId: session.sub,
        acr,
        amr: session.spAmr.length > 0 ? session.spAmr : undefined,
        remember: true,
      },
      consent: { grantId },
    },
    { mergeWithLastSubmission: false },
  );
}

/** Ends the login with an error, redirected to the client (oidc-provider's abortInteraction). */
async function abort(
  provider: Provider,
  req: Request,
  res: Response,
  error: string,
  description: string,
) {
  await provider.interactionFinished(
    req,
    res,
    { error, error_description: description },
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

function stringParam(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/**
 * The essential acr values still unmet, among those ProConnect supports, read as its server does from
 * oidc-provider's login prompt (getFilteredAcrParamsFromInteraction): `essential_acr`'s value first,
 * else `essential_acrs`' values. Undefined when none, as when only removed values were asked for.
 */
function essentialAcr(details: Details): string[] | undefined {
  const { name, reasons } = details.prompt;
  const request = (details.prompt.details as { acr?: AcrRequest }).acr;
  if (name !== "login" || !request) return undefined;
  let wanted: unknown[] = [];
  if (reasons.includes("essential_acr")) {
    wanted = typeof request.value === "string" ? request.value.split(" ") : [];
  } else if (reasons.includes("essential_acrs")) {
    wanted = Array.isArray(request.values) ? request.values : [];
  }
  const supported = wanted.filter(
    (value): value is string => typeof value === "string" && SUPPORTED.has(value),
  );
  return supported.length > 0 ? supported : undefined;
}

/**
 * The FI's answer: the first essential value (else of `acr_values`) the identity's login can reach,
 * else its usual level.
 */
function fiAcr(identity: EmulatorIdentity, details: Details): string {
  const reachable = (value: string) => (identity.acr as readonly string[]).includes(value);
  const { acr_values: asked } = details.params;
  const acrValues = typeof asked === "string" ? asked.split(" ") : [];
  return (
    essentialAcr(details)?.find(reachable) ??
    acrValues.find(reachable) ??
    identity.acr[0] ??
    "eidas1"
  );
}

/**
 * getInteractionAcr: the FI's level (eidas1 for a level ProConnect does not know) when no essential
 * acr is asked or it is among them; else its `-mfa` variant once the person typed a code sent by
 * e-mail; else none (the login cannot go on).
 */
function interactionAcr(session: ProConnectSession, essential: string[] | undefined) {
  const idpAcr = SUPPORTED.has(session.idpAcr) ? session.idpAcr : "eidas1";
  if (!essential || essential.includes(idpAcr)) return idpAcr;
  if (session.idpAmr.includes("mail") || !session.emailVerified) return undefined;
  const enriched = EMAIL_CODE_ACR[idpAcr];
  return enriched !== undefined && essential.includes(enriched) ? enriched : undefined;
}

/** computeCanAcrBeSatisfiedByPcf: a code by e-mail helps unless the FI already checked the address. */
function canEmailCodeSatisfy(session: ProConnectSession, essential: string[] | undefined) {
  if (!essential || session.idpAmr.includes("mail") || session.emailVerified) return false;
  return Object.values(EMAIL_CODE_ACR).some((acr) => essential.includes(acr));
}

/** isEssentialAcrSatisfied: the session's level meets the essential acr, and is not eidas2 or eidas3. */
function isEssentialAcrSatisfied(session: ProConnectSession, essential: string[] | undefined) {
  if (!essential) return true;
  const acr = interactionAcr(session, essential);
  return acr !== undefined && !NEW_SESSION_ACRS.has(acr);
}
