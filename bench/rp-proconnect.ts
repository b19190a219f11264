/*
 * Relying party (a): this project, mounted as README.md's "Using the middleware" shows (http and no
 * `trust proxy` here, as everything runs on the loopback). Also the bare Express app that the protected
 * route is compared with: the same express-session options and MemoryStore, the same route, and no
 * middleware but a check of `req.session.proconnect?.user`.
 */
import express, { type NextFunction, type Request, type Response } from "express";
import session, { type MemoryStore, type SessionOptions } from "express-session";
import { proconnect, ProConnectError, requireAuth } from "../lib/index.js";

/** What every relying party of the benchmark is started with. */
export interface RelyingPartyOptions {
  baseUrl: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  sessionSecret: string;
  store: MemoryStore;
}

export const SESSION_COOKIE = "connect.sid";

/** The session options of README.md (without `secure`: the benchmark is on http://127.0.0.1). */
export function sessionOptions(secret: string, store: MemoryStore): SessionOptions {
  return {
    secret,
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: "lax" },
    store,
  };
}

export function proconnectApp(options: RelyingPartyOptions): express.Express {
  const app = express();
  app.use(session(sessionOptions(options.sessionSecret, options.store)));
  app.use(
    proconnect({
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      baseUrl: options.baseUrl,
      issuer: options.issuer,
    }),
  );
  app.get("/me", requireAuth(), (req, res) => {
    res.json(req.proconnectUser);
  });
  app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (!(error instanceof ProConnectError)) return next(error);
    res.status(error.status).json({ code: error.code, message: error.message });
  });
  return app;
}

/**
 * The same route without the middleware: express-session only, the user read from the session, and the
 * `Cache-Control: private, no-store` any signed-in answer needs (requireAuth() sets it too).
 */
export function bareApp(options: Pick<RelyingPartyOptions, "sessionSecret" | "store">) {
  const app = express();
  app.use(session(sessionOptions(options.sessionSecret, options.store)));
  app.get("/me", (req, res) => {
    const user = req.session.proconnect?.user;
    if (!user) {
      res.status(401).json({ error: "unauthenticated" });
      return;
    }
    res.set("Cache-Control", "private, no-store").json(user);
  });
  return app;
}
