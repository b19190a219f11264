// What doctor's checks share: what they need from the outside world, the line each reports, the
// discovery document they read and the bounded GET they ask with. A module of its own so that doctor.ts
// and registration.ts (doctor's registration checks) both import it without importing each other.
import { BODY_LIMITS } from "../lib/body-limits.js";
import type { Status } from "./output.js";

/** What doctor needs from the outside world, injectable for tests of its pure parts. */
export interface DoctorDeps {
  fetch: typeof fetch;
  /** Milliseconds since the epoch, as `Date.now()`. */
  now: () => number;
  /** For the proxy note only: Node ignores HTTPS_PROXY unless NODE_USE_ENV_PROXY=1 (Node.js 22.21+). */
  env: Readonly<Record<string, string | undefined>>;
}

export interface Check {
  status: Extract<Status, "pass" | "fail" | "skip">;
  text: string;
  details?: string[];
}

/** ProConnect's discovery document, as far as doctor reads it. */
export interface Discovery {
  issuer?: unknown;
  authorization_endpoint?: unknown;
  end_session_endpoint?: unknown;
  jwks_uri?: unknown;
  scopes_supported?: unknown;
  id_token_signing_alg_values_supported?: unknown;
  userinfo_signing_alg_values_supported?: unknown;
}

export interface Fetched {
  response: Response;
  body: string;
  /** Local times just before the request and once the headers arrived. */
  sentAt: number;
  receivedAt: number;
}

/** An answer past what the middleware accepts for that document (lib/body-limits.ts). */
export class TooLarge extends Error {
  override name = "TooLarge";
  constructor(readonly limit: number) {
    super(`the answer is larger than ${limit / 1024} KB`);
  }
}

/**
 * A GET bounded by `timeout`, body included (a server may send headers, then stall), and by `limit`
 * bytes (`TooLarge` past it). Redirects are not followed, as the middleware follows none: a 3xx is
 * the answer.
 */
export async function get(
  url: string,
  timeout: number,
  deps: DoctorDeps,
  init: { accept?: string; limit?: number } = {},
): Promise<Fetched> {
  const signal = AbortSignal.timeout(timeout);
  const sentAt = deps.now();
  const response = await deps.fetch(url, {
    signal,
    redirect: "manual",
    headers: { accept: init.accept ?? "application/json" },
  });
  const receivedAt = deps.now();
  return {
    response,
    body: await bodyOf(response, init.limit ?? BODY_LIMITS.discovery),
    sentAt,
    receivedAt,
  };
}

/** The response's text, read no further than `limit` bytes. */
async function bodyOf(response: Response, limit: number): Promise<string> {
  if (!response.body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    // Leaving the loop cancels the stream: nothing more is read.
    if (size > limit) throw new TooLarge(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}
