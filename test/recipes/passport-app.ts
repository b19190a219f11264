import express, { type NextFunction, type Request, type Response } from "express";
import session from "express-session";
import passport from "passport";
import { Strategy as LocalStrategy } from "passport-local";
import { proconnect, requireAuth, type ProConnectOptions } from "proconnect-express";

// The app's own accounts, which passport signs in (a database in a real app).
const accounts = new Map([["agent", { id: "agent", password: "correct horse battery" }]]);

passport.use(
  new LocalStrategy((username, password, done) => {
    const account = accounts.get(username);
    done(null, account?.password === password ? { id: account.id } : false);
  }),
);
passport.serializeUser((user, done) => done(null, (user as { id: string }).id));
passport.deserializeUser((id: string, done) => done(null, accounts.has(id) ? { id } : false));

export function createApp(connection: ProConnectOptions) {
  const app = express();
  app.use(express.urlencoded({ extended: false }));
  app.use(session({ secret: "change-me", resave: false, saveUninitialized: false }));
  app.use(passport.session()); // after express-session, like proconnect()
  app.use(
    proconnect({
      ...connection,
      // A ProConnect login or logout replaces the whole session: keep passport's sign-in across it.
      keepSessionKeys: ["passport"],
    }),
  );

  // passport's login regenerates the session too: keepSessionInfo keeps ProConnect's sign-in.
  app.post(
    "/local/login",
    passport.authenticate("local", { keepSessionInfo: true, failWithError: true }),
    (_req, res) => res.redirect(303, "/me"),
  );
  app.post("/local/logout", (req, res, next) => {
    req.logout({ keepSessionInfo: true }, (error) =>
      error ? next(error) : res.redirect(303, "/"),
    );
  });

  app.get("/me", (req, res) => {
    res.json({ account: req.user ?? null, proconnect: req.proconnectUser ?? null });
  });
  app.get("/proconnect-only", requireAuth(), (req, res) => res.json(req.proconnectUser));

  // A ProConnectError (its code and status) or passport's refusal (failWithError: 401).
  app.use(
    (
      error: Error & { code?: string; status?: number },
      _req: Request,
      res: Response,
      _next: NextFunction,
    ) => {
      res.status(error.status ?? 500).json({ error: error.code ?? error.name });
    },
  );
  return app;
}
