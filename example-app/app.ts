import { join } from "node:path";
import compression from "compression";
import express, {
  type ErrorRequestHandler,
  type Express,
  type Request,
  type RequestHandler,
} from "express";
import session, { type Store } from "express-session";
import helmet from "helmet";
import {
  CERTIFICATION_DIRIGEANT,
  DEFAULT_SCOPES,
  proconnect,
  ProConnectError,
  requireAuth,
  requireBearer,
  type ProConnectOptions,
  type ProConnectUser,
} from "proconnect-express";
import { buildStylesheet, DSFR_DIST, DSFR_URL } from "./assets.js";
import { errorMessageFor } from "./error-messages.js";
import {
  legalPage,
  dirigeantPage,
  documentsPage,
  mfaPage,
  errorPage,
  homePage,
  notFoundPage,
  profilePage,
  unexpectedErrorPage,
  type DocumentsAnswer,
  type LegalPage,
  type PageContext,
} from "./pages.js";
import { readRetry, rememberRetry, retryHref } from "./retry.js";

export interface ExampleAppSettings {
  /** Passed to `proconnect()` as is. */
  proconnect: ProConnectOptions;
  /** Signs the session cookie: the same on every instance. */
  sessionSecret: string;
  /** Express's `trust proxy`, for an app behind a reverse proxy that terminates HTTPS. */
  trustProxy?: boolean | number | string;
  /** The session store (the default, in memory, holds sessions of one process only). */
  store?: Store;
  /** The local emulator's address, when ProConnect is the emulator: the pages say so. */
  emulatorUrl?: string;
  /** Where errors are logged (default: the console). */
  logger?: Pick<Console, "warn" | "error">;
  /**
   * Send requests for another host (127.0.0.1 for localhost…) to `baseUrl`'s, where the session cookie
   * lives: a login started on one host would come back to the other without its cookie.
   */
  redirectToBaseUrl?: boolean;
  /**
   * The API part of the example: a resource server with its own ProConnect client (as ProConnect
   * recommends), mounted at `/ressources/api`, that `/documents` calls server-side with the person's
   * access token. Needs `storeTokens: true` in `proconnect`.
   */
  api?: {
    clientId: string;
    clientSecret: string;
    /** Where this process can reach itself for the server-side call, e.g. http://localhost:3000. */
    localUrl: string;
  };
}

/** The example asks for more than the default scopes, so that the profile page shows what exists. */
export const EXAMPLE_SCOPES = [
  ...DEFAULT_SCOPES,
  "siren",
  "organizational_unit",
  "belonging_population",
  "phone",
  "idp_acr",
] as const;

/** A year: what browsers keep assets whose URL changes with their content (RFC 8246 `immutable`). */
const IMMUTABLE = { maxAge: "365d", immutable: true } as const;

/** Features no page of the example uses: refused to the pages and to anything they would embed. */
const PERMISSIONS_POLICY = [
  "accelerometer",
  "camera",
  "display-capture",
  "geolocation",
  "gyroscope",
  "magnetometer",
  "microphone",
  "payment",
  "usb",
]
  .map((feature) => `${feature}=()`)
  .join(", ");

/** The legal pages every French public site links from its footer. */
const LEGAL_PAGES: readonly LegalPage[] = [
  "accessibilite",
  "mentions-legales",
  "donnees-personnelles",
];

/** A working day: after it the person signs in again (and in-memory sessions are reclaimed). */
const SESSION_MAX_AGE_MS = 8 * 60 * 60 * 1000;

/** The user on a route behind `requireAuth()`, typed as present. */
function signedInUser(req: Request): ProConnectUser {
  if (!req.proconnectUser) {
    throw new ProConnectError("not_configured", "this route must be behind requireAuth()");
  }
  return req.proconnectUser;
}

/**
 * The example relying party: an Express app that signs professionals in with ProConnect through
 * proconnect-express, with the security settings a production service needs. It does not listen:
 * see `server.ts`.
 */
export function createExampleApp(settings: ExampleAppSettings): Express {
  const options = settings.proconnect;
  const https = new URL(options.baseUrl).protocol === "https:";
  const logger = settings.logger ?? console;
  const auth = proconnect({ logger, ...options });
  const app = express();
  app.disable("x-powered-by");
  if (settings.trustProxy !== undefined) app.set("trust proxy", settings.trustProxy);

  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          "default-src": ["'self'"],
          "script-src": ["'self'"],
          "style-src": ["'self'"],
          "font-src": ["'self'"],
          "img-src": ["'self'", "data:"],
          "connect-src": ["'self'"],
          "frame-ancestors": ["'none'"],
          // What the logout form's redirects go through: ProConnect, then the identity provider's logout.
          "form-action": auth.formAction,
          "upgrade-insecure-requests": https ? [] : null,
        },
      },
      // Browsers ignore HSTS received over plain HTTP: send it only where it means something.
      strictTransportSecurity: https,
      // Said the same way as the CSP's frame-ancestors 'none', for browsers that only know this header.
      xFrameOptions: { action: "deny" },
    }),
  );
  app.use(((_req, res, next) => {
    res.set("permissions-policy", PERMISSIONS_POLICY);
    next();
  }) satisfies RequestHandler);
  // gzip or brotli for pages, CSS and scripts: on a slow mobile line the DSFR's CSS and scripts shrink
  // about fivefold. Below 1 KB (redirects, small JSON) the answer goes as is.
  app.use(compression());

  if (settings.redirectToBaseUrl) {
    const base = new URL(options.baseUrl);
    app.use(((req, res, next) => {
      if (req.headers.host === base.host) next();
      // Concatenated, not resolved: a request line of //other.example/ must stay on our origin.
      else res.redirect(308, `${base.origin}${req.originalUrl}`);
    }) satisfies RequestHandler);
  }

  // The DSFR's fonts, scripts and icons, under its version: a new DSFR is a new URL.
  app.use(DSFR_URL, express.static(DSFR_DIST, { index: false, fallthrough: false, ...IMMUTABLE }));
  const stylesheet = buildStylesheet();
  app.get(stylesheet.path, (_req, res) => {
    res
      .set("cache-control", "public, max-age=31536000, immutable")
      .type("css")
      .send(stylesheet.body);
  });
  // Browsers ask for /favicon.ico whatever the pages declare: not versioned, kept a day.
  app.get("/favicon.ico", (_req, res) => {
    res.sendFile(join(DSFR_DIST, "favicon", "favicon.ico"), { maxAge: "1d" });
  });

  app.use(
    session({
      secret: settings.sessionSecret,
      resave: false,
      saveUninitialized: false,
      ...(settings.store ? { store: settings.store } : {}),
      // The __Host- prefix makes the browser refuse the cookie unless it is Secure, host-only and for /.
      name: https ? "__Host-session" : "session",
      cookie: { httpOnly: true, sameSite: "lax", secure: https, maxAge: SESSION_MAX_AGE_MS },
    }),
  );
  // Remembers where a login was going and at which level, for the error page's « Réessayer ».
  app.get("/login", rememberRetry(https));
  app.use(auth);

  // Pages with someone's data must not be kept by the browser or a proxy after logout.
  app.use(((req, res, next) => {
    if (req.proconnectUser) res.set("cache-control", "no-store");
    next();
  }) satisfies RequestHandler);

  const context = (req: Request): PageContext => ({
    user: req.proconnectUser,
    emulatorUrl: settings.emulatorUrl,
    apiEnabled: settings.api !== undefined,
    stylesheet: stylesheet.path,
  });

  if (settings.api) {
    const api = settings.api;
    // The resource server: its own client id, the same ProConnect. It trusts only ProConnect's word.
    const bearer = requireBearer({
      clientId: api.clientId,
      clientSecret: api.clientSecret,
      ...(options.issuer
        ? { issuer: options.issuer }
        : { environment: options.environment, network: options.network }),
      scopes: ["openid"],
      // The one service that calls this API: the example app itself, with its users' tokens.
      allowedClients: [options.clientId],
      logger,
    });
    app.get("/ressources/api/documents", bearer, (req, res) => {
      const token = req.proconnectToken;
      if (!token)
        throw new ProConnectError("not_configured", "this route must be behind requireBearer()");
      res.json({
        sub: token.sub,
        client_id: token.client_id,
        scopes: token.scopes,
        documents: [
          { title: "Compte rendu de la réunion de service", updated: "2026-11-30" },
          { title: "Note de cadrage du projet", updated: "2026-11-12" },
        ],
      } satisfies DocumentsAnswer);
    });

    // The service provider's page: calls the API on the person's behalf, server-side.
    app.get("/documents", requireAuth(), async (req, res, next) => {
      try {
        const token = await auth.getAccessToken(req);
        const answer = await fetch(`${api.localUrl}/ressources/api/documents`, {
          headers: { authorization: `Bearer ${token}`, accept: "application/json" },
          signal: AbortSignal.timeout(5000),
        });
        if (!answer.ok) throw new Error(`the example's API answered HTTP ${answer.status}`);
        const body = (await answer.json()) as DocumentsAnswer;
        res.type("html").send(documentsPage({ ...context(req), answer: body }));
      } catch (error) {
        next(error);
      }
    });
  }

  app.get("/", (req, res) => {
    res.type("html").send(homePage(context(req)));
  });

  app.get("/profil", requireAuth(), (req, res) => {
    res.type("html").send(profilePage({ ...context(req), user: signedInUser(req) }));
  });

  app.get("/securise", requireAuth({ mfa: true }), (req, res) => {
    res.type("html").send(mfaPage({ ...context(req), user: signedInUser(req) }));
  });

  app.get("/dirigeant", requireAuth({ acr: CERTIFICATION_DIRIGEANT }), (req, res) => {
    res.type("html").send(dirigeantPage({ ...context(req), user: signedInUser(req) }));
  });

  app.get("/api/me", requireAuth({ api: true }), (req, res) => {
    res.json(req.proconnectUser);
  });

  for (const page of LEGAL_PAGES) {
    app.get(`/${page}`, (req, res) => {
      res.type("html").send(legalPage(context(req), page));
    });
  }

  app.use((req, res) => {
    res
      .status(404)
      .type("html")
      .send(notFoundPage(context(req)));
  });

  app.use(((error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    if (error instanceof ProConnectError) {
      // The message is written for developers and never holds a secret or a token: log it, show the code.
      logger.warn(`[proconnect] ${error.code} (${error.status}): ${error.message}`);
      // What failed underneath (the session store's or the network's own error) is for the operators'
      // log only: it may name hosts or credentials, so it never reaches the page.
      if (error.status >= 500 && error.cause !== undefined)
        logger.warn("[proconnect] cause:", error.cause);
      res
        .status(error.status)
        .type("html")
        .send(
          errorPage(
            context(req),
            error.code,
            errorMessageFor(error, req),
            retryHref(req, readRetry(req, https), error.code),
          ),
        );
      return;
    }
    logger.error(error);
    res
      .status(500)
      .type("html")
      .send(unexpectedErrorPage(context(req)));
  }) satisfies ErrorRequestHandler);

  return app;
}
