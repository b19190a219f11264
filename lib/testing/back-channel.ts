import type { RequestHandler } from "express";
import type { BackChannelEndpoint } from "./options.js";
import { PREFIX } from "./paths.js";
import type { CurrentTamper } from "./provider-config.js";

const BACK_CHANNEL: Readonly<Record<string, BackChannelEndpoint>> = {
  [`${PREFIX}/.well-known/openid-configuration`]: "discovery",
  [`${PREFIX}/jwks`]: "jwks",
  [`${PREFIX}/token`]: "token",
  [`${PREFIX}/userinfo`]: "userinfo",
};

/** Counts requests per route, for `requestCounts()`. */
export function requestCounter(): {
  middleware: RequestHandler;
  counts: () => Record<string, number>;
} {
  const counts = new Map<string, number>();
  return {
    middleware: (req, _res, next) => {
      // Interaction ids become :id: one key per route, however many logins a long-running emulator sees.
      const route = req.path.replace(/(\/(?:interaction|authorize)\/)[^/]+/, "$1:id");
      counts.set(route, (counts.get(route) ?? 0) + 1);
      next();
    },
    counts: () => Object.fromEntries(counts),
  };
}

/** The `fault` tamper hook: a back-channel endpoint answers the test's fault instead of oidc-provider. */
export function fault(tamper: CurrentTamper): RequestHandler {
  return (req, res, next) => {
    const endpoint = BACK_CHANNEL[req.path];
    const chosen = endpoint === undefined ? undefined : tamper()?.fault?.(endpoint);
    if (chosen === undefined) next();
    else if (chosen === "reset") req.socket.destroy();
    else if (chosen !== "hang") {
      res.status(chosen.status).type(chosen.contentType ?? "application/json");
      if (chosen.contentEncoding !== undefined) res.set("Content-Encoding", chosen.contentEncoding);
      // Express sends a Buffer as bytes but a plain Uint8Array as JSON: wrap it, without a copy.
      const { body } = chosen;
      res.send(
        typeof body === "string"
          ? body
          : Buffer.from(body.buffer, body.byteOffset, body.byteLength),
      );
    }
    // "hang": never answer; close() ends the connection.
  };
}
