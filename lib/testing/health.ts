import express, { type Request, type Router } from "express";
import { errorPage } from "./pages.js";
import { PREFIX } from "./paths.js";

// ProConnect's health routes (back/apps/core-fca-low/src/controllers/health.controller.ts): liveness,
// and readiness checked against its four dependencies, in this order.
const CHECKS = ["mongodb", "redis", "api-entreprise", "hyyyperbridge"] as const;

/**
 * `/livez`, `/readyz` (`?verbose` for one line per check, `?exclude=` to leave some out) and
 * `/readyz/:check`. The emulator keeps everything in memory and calls no FI bridge, so each check
 * passes: what the server reports when its services answer (and for hyyyperbridge when it is off).
 */
export function healthRoutes(): Router {
  const router = express.Router();
  router.get(`${PREFIX}/livez`, (_req, res) => {
    res.send("ok");
  });
  router.get(`${PREFIX}/readyz`, (req, res) => {
    const excluded = new Set(excludedChecks(req));
    const lines = CHECKS.map((name) =>
      excluded.has(name) ? `[+]${name} excluded: ok` : `[+]${name} ok`,
    );
    res
      .type("text/plain")
      .send(req.query.verbose === undefined ? "ok" : [...lines, "readyz check passed"].join("\n"));
  });
  router.get(`${PREFIX}/readyz/:check`, (req, res) => {
    const check = req.params.check;
    if (!(CHECKS as readonly string[]).includes(check)) {
      // Nest's ParseEnumPipe, shown by ProConnect's HttpExceptionFilter as its Y000400 page.
      const page = errorPage(
        "invalid_request",
        "Validation failed (enum string is expected)",
        "Y000400",
      );
      res.status(400).type("html").send(page);
      return;
    }
    res.type("text/plain").send(`[+]${check} ok`);
  });
  return router;
}

/** `exclude`, repeated or comma-separated, as Nest's ParseArrayPipe reads it. */
function excludedChecks(req: Request): string[] {
  const raw = req.query.exclude;
  const values = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return values.flatMap((value) => String(value).split(","));
}
