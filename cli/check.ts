// What doctor's checks share: what they need from the outside world, the line each reports, the
// discovery document they read and the bounded GET they ask with. A module of its own so that doctor.ts
// and registration.ts (doctor's registration checks) both import it without importing each other.
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

/** A GET bounded by `timeout`, body included (a server may send headers, then stall). */
export async function get(
  url: string,
  timeout: number,
  deps: DoctorDeps,
  init: { redirect?: "follow" | "manual"; accept?: string } = {},
): Promise<Fetched> {
  const signal = AbortSignal.timeout(timeout);
  const sentAt = deps.now();
  const response = await deps.fetch(url, {
    signal,
    redirect: init.redirect ?? "follow",
    headers: { accept: init.accept ?? "application/json" },
  });
  const receivedAt = deps.now();
  return { response, body: await response.text(), sentAt, receivedAt };
}
