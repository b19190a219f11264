// The audit trail written to a logger in one line of set-up: every channel of events.ts, each with its
// level and a fixed message, the payload as the line's fields.
import * as diagnostics_channel from "node:diagnostics_channel";
import { PROCONNECT_CHANNELS, type TokenRefreshEvent } from "./events.js";
import { ProConnectError } from "./errors.js";
import { loggerSchema } from "./options.js";
import type { ProConnectLogger } from "./types.js";

type Level = "debug" | "info" | "warn";
type Channel = keyof typeof PROCONNECT_CHANNELS;

// What each event is, for a person reading the log: the level says whether to look.
const LINES: Readonly<Record<Channel, (event: Record<string, unknown>) => [Level, string]>> = {
  loginStart: () => ["debug", "proconnect: login started"],
  loginSuccess: () => ["info", "proconnect: signed in"],
  loginFailure: () => ["warn", "proconnect: login failed"],
  logout: () => ["info", "proconnect: signed out"],
  tokenRefresh: (event) =>
    (event as unknown as TokenRefreshEvent).outcome === "refreshed"
      ? ["debug", "proconnect: access token refreshed"]
      : ["warn", "proconnect: access token refresh refused"],
  bearerAccept: () => ["debug", "proconnect: bearer token accepted"],
  bearerRefuse: () => ["info", "proconnect: bearer token refused"],
  sessionStoreFailure: () => ["warn", "proconnect: session store failed"],
  providerRequest: () => ["debug", "proconnect: request to ProConnect"],
};

/**
 * Writes the audit trail (`PROCONNECT_CHANNELS`) to `logger`, a pino or bunyan logger (or `console`):
 * sign-ins and sign-outs at `info`, failures at `warn`, the rest at `debug` when the logger has it. Each
 * line's fields are the event's payload, which never holds a token, a code, a state or a cookie value.
 * Returns the function that stops it. Once per process: the channels are the process's, every
 * `proconnect()` and `requireBearer()` of it publishes there.
 *
 * @example
 * import { pino } from "pino";
 * import { auditLog } from "proconnect-express";
 *
 * auditLog(pino().child({ audit: "proconnect" }));
 * // {"level":30,"audit":"proconnect","instance":null,"sub":"…","idp_id":"…","siret":"…","acr":"eidas1","durationMs":2140,"msg":"proconnect: signed in"}
 */
export function auditLog(logger: ProConnectLogger): () => void {
  // Checked here, not at the first event: a listener's error would be an uncaught exception then.
  if (logger === undefined || !loggerSchema.safeParse(logger).success) {
    throw new ProConnectError(
      "invalid_options",
      "auditLog(logger): the logger must have warn(details, message) (pino, bunyan or console)",
    );
  }
  const listeners = (Object.keys(PROCONNECT_CHANNELS) as Channel[]).map((channel) => {
    const listener = (message: unknown) => {
      const event = message as Record<string, unknown>;
      const [level, text] = LINES[channel](event);
      const write = logger[level]?.bind(logger);
      write?.({ event: PROCONNECT_CHANNELS[channel], ...event }, text);
    };
    diagnostics_channel.subscribe(PROCONNECT_CHANNELS[channel], listener);
    return [PROCONNECT_CHANNELS[channel], listener] as const;
  });
  return () => {
    for (const [name, listener] of listeners) diagnostics_channel.unsubscribe(name, listener);
  };
}
