import type { RequestHandler } from "express";
import { describe, type Context } from "../context.js";
import { errorCodeOf } from "../events.js";

/**
 * The route `handler`, whose errors coming after the app has answered the request itself (its own
 * response timeout, while the route waited for ProConnect or the store) are logged instead of passed
 * on: `next(err)` would then make Express close the connection, cutting the app's answer short.
 *
 * @example
 * const login = afterAppAnswered(context, loginRoute(context));
 */
export function afterAppAnswered(context: Context, handler: RequestHandler): RequestHandler {
  return (req, res, next) =>
    handler(req, res, (error?: unknown) => {
      if (error === undefined || typeof error === "string" || !res.headersSent) {
        next(error);
        return;
      }
      context.options.logger.warn(
        { code: errorCodeOf(error).code },
        `${describe(context)}: the app answered ${req.method} ${req.path} before this route ended (a response timeout?), which then failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
}
