import type { Logger } from "pino";
import { pinoHttp } from "pino-http";

/**
 * pino-http's access log, keeping out what would let a reader of the logs act as someone: the query
 * (ProConnect's `code` and `state` at /callback, an e-mail address in `login_hint`), the request's
 * headers (the session cookie, `Authorization: Bearer`) and the answer's (`Set-Cookie`, a `Location`
 * to ProConnect carrying the login's state). What is kept: method, path, status, time, request id.
 */
export function accessLog(logger: Logger) {
  return pinoHttp({
    logger,
    serializers: {
      req: (req: { id: unknown; method: string; url: string }) => ({
        id: req.id,
        method: req.method,
        path: req.url.split("?")[0],
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
}
