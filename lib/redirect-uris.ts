import { isLoopback } from "./hosts.js";
import type { ProConnectEnvironment } from "./issuers.js";

/**
 * Why ProConnect would refuse a redirect URI at registration: it matches URIs exactly, so no wildcard;
 * an absolute http(s) URL without fragment; and in production neither http:// nor localhost (Y04A586).
 */
export type RedirectUriProblem =
  "wildcard" | "malformed" | "fragment" | "http_in_production" | "localhost_in_production";

/** ProConnect's code for a configuration it refuses (http or localhost in production). */
export const INVALID_CONFIGURATION_CODE = "Y04A586";

/** The page code ProConnect shows for a problem, when it has one. */
export const PROBLEM_PROCONNECT_CODES: Partial<Record<RedirectUriProblem, string>> = {
  http_in_production: INVALID_CONFIGURATION_CODE,
  localhost_in_production: INVALID_CONFIGURATION_CODE,
};

/** What each problem means, for the library's and the emulator's English messages. */
export const REDIRECT_URI_PROBLEMS: Readonly<Record<RedirectUriProblem, string>> = {
  wildcard: "must not contain a wildcard (*): ProConnect refuses them",
  malformed: "must be an absolute http:// or https:// URL",
  fragment: "must have no fragment (#)",
  http_in_production: "must use https:// in production: ProConnect refuses http (Y04A586)",
  localhost_in_production: "must not be localhost in production: ProConnect refuses it (Y04A586)",
};

/**
 * The rules ProConnect applies to a URI registered as a (post-logout) redirect URI, in one place: the
 * options of `proconnect()`, the emulator's clients and the `sp-config`/`doctor` commands use them. An
 * empty list means the URI can be registered.
 */
export function redirectUriProblems(
  uri: string,
  environment: ProConnectEnvironment,
): RedirectUriProblem[] {
  if (uri.includes("*")) return ["wildcard"];
  if (!/^https?:\/\//i.test(uri) || !URL.canParse(uri)) return ["malformed"];
  const url = new URL(uri);
  const problems: RedirectUriProblem[] = [];
  // `#` alone leaves url.hash empty: look at the text.
  if (uri.includes("#")) problems.push("fragment");
  if (environment === "production" && url.protocol === "http:") problems.push("http_in_production");
  if (environment === "production" && isLoopback(url.hostname)) {
    problems.push("localhost_in_production");
  }
  return problems;
}
