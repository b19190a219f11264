import { isLoopback } from "../hosts.js";

interface Cookie {
  name: string;
  value: string;
  host: string;
  path: string;
  secure: boolean;
  httpOnly: boolean;
  sameSite: "Strict" | "Lax" | "None";
  expiresAt: number;
}

/**
 * A cookie as Playwright takes it (`context.addCookies()`, `storageState.cookies`): `expires` in seconds
 * since the epoch, -1 for a session cookie; `domain` is the host the cookie was set by (host-only).
 */
export interface PlaywrightCookie {
  name: string;
  value: string;
  domain: string;
  path: string;
  expires: number;
  httpOnly: boolean;
  secure: boolean;
  sameSite: "Strict" | "Lax" | "None";
}

/** What a {@link TestBrowser} navigation ended on. */
export interface Page {
  status: number;
  /** The URL of the last response. */
  url: URL;
  headers: Headers;
  body: string;
  /** With `stopAt`: the redirect target it stopped before. */
  location?: URL;
}

export interface NavigateOptions {
  /** Who signs in when the emulator's login page shows: an e-mail address… */
  email?: string;
  /** …or the `sub` of one of its identities (for one without an e-mail). */
  sub?: string;
  method?: "GET" | "POST";
  /** A form body, sent as `application/x-www-form-urlencoded`. */
  form?: Record<string, string>;
  headers?: Record<string, string>;
  /** Stop before following a redirect to a URL for which this returns true. */
  stopAt?: (url: URL) => boolean;
  /** Requests at most (redirects and form submissions included); 20 by default. */
  maxRequests?: number;
  /**
   * The emulator's e-mail code page (ProConnect's MFA step for an FI that cannot do MFA): by default
   * the browser reads the code sent from the emulator and types it; a string types that code instead
   * (a wrong one, say); `false` stops on the page.
   */
  emailCode?: string | false;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
// What a browser sends for a navigation: servers pick HTML pages over JSON on it.
const NAVIGATION_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/**
 * A cookie-keeping HTTP client that goes through ProConnect logins the way a browser does: it follows
 * redirects across the app and the emulator, fills in the emulator's login page with the identity it is
 * told to use, and submits its logout page. Real HTTP, real cookies: for tests that need no browser.
 *
 * @example
 * const browser = new TestBrowser();
 * const page = await browser.navigate("http://127.0.0.1:3000/login", { email: "test@fia1.fr" });
 * // page.url is where the app sent the user after the callback; the app's session cookie is kept.
 */
export class TestBrowser {
  readonly #cookies = new Map<string, Cookie>();

  /** One request, with this browser's cookies, following no redirect. */
  async fetch(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url);
    const headers = new Headers(init.headers);
    const cookie = this.cookieHeader(target);
    if (cookie) headers.set("cookie", cookie);
    const response = await fetch(target, { ...init, headers, redirect: "manual" });
    for (const line of response.headers.getSetCookie()) this.#store(target, line);
    return response;
  }

  /** Follows a navigation to its end, signing in on the emulator's login page when it shows. */
  async navigate(url: string | URL, options: NavigateOptions = {}): Promise<Page> {
    let current = new URL(url);
    let method: string = options.method ?? "GET";
    let body: URLSearchParams | undefined = options.form
      ? new URLSearchParams(options.form)
      : undefined;
    const identity = options.sub
      ? { sub: options.sub }
      : options.email
        ? { email: options.email }
        : undefined;
    const limit = options.maxRequests ?? 20;
    const headers = { accept: NAVIGATION_ACCEPT, ...options.headers };

    for (let count = 0; count < limit; count++) {
      const response = await this.fetch(current, { method, body, headers });
      const location = response.headers.get("location");
      if (REDIRECTS.has(response.status) && location) {
        const next = new URL(location, current);
        await response.body?.cancel();
        if (options.stopAt?.(next)) {
          return {
            status: response.status,
            url: current,
            headers: response.headers,
            body: "",
            location: next,
          };
        }
        if (response.status !== 307 && response.status !== 308) {
          method = "GET";
          body = undefined;
        }
        current = next;
        continue;
      }

      const text = await response.text();
      const codeForm = emailCodeForm(text);
      if (codeForm && response.status === 200 && options.emailCode !== false) {
        const code =
          options.emailCode ?? (await this.#readEmailCode(new URL(codeForm.mailbox, current)));
        if (code !== undefined) {
          current = new URL(codeForm.action, current);
          body = new URLSearchParams({ verify_email_token: code });
          method = "POST";
          continue;
        }
      }
      const submission = emulatorFormSubmission(text, current, identity);
      if (!submission || response.status !== 200) {
        return { status: response.status, url: current, headers: response.headers, body: text };
      }
      [current, body] = submission;
      method = "POST";
    }
    throw new Error(`TestBrowser: more than ${limit} requests navigating from ${String(url)}`);
  }

  /** The `Cookie` header this browser would send to `url`. */
  cookieHeader(url: string | URL): string {
    const target = new URL(url);
    const now = Date.now();
    return [...this.#cookies.values()]
      .filter((cookie) => {
        if (cookie.expiresAt <= now) return false;
        if (cookie.host !== target.hostname) return false;
        if (cookie.secure && target.protocol !== "https:" && !isLoopback(target.hostname))
          return false;
        return pathMatches(target.pathname, cookie.path);
      })
      .sort((a, b) => b.path.length - a.path.length)
      .map((cookie) => `${cookie.name}=${cookie.value}`)
      .join("; ");
  }

  /**
   * This browser's cookies (those of `url`'s host only, with `url`) as a Playwright storage state, every
   * attribute kept (`HttpOnly`, `Secure`, `SameSite`, expiry): hand a signed-in session to a real
   * browser without going through the login page there. A cookie set without `SameSite` is `Lax`, as
   * browsers treat it.
   *
   * @example
   * const signedIn = await signIn(app.url, "test@fia1.fr");
   * const context = await browser.newContext({ storageState: signedIn.storageState(app.url) });
   */
  storageState(url?: string | URL): { cookies: PlaywrightCookie[]; origins: [] } {
    const host = url === undefined ? undefined : new URL(url).hostname;
    const now = Date.now();
    const cookies = [...this.#cookies.values()]
      .filter((cookie) => cookie.expiresAt > now && (host === undefined || cookie.host === host))
      .map((cookie) => ({
        name: cookie.name,
        value: cookie.value,
        domain: cookie.host,
        path: cookie.path,
        expires: cookie.expiresAt === Infinity ? -1 : Math.floor(cookie.expiresAt / 1000),
        httpOnly: cookie.httpOnly,
        secure: cookie.secure,
        sameSite: cookie.sameSite,
      }));
    return { cookies, origins: [] };
  }

  /** The code the emulator sent for this login, from its stand-in for an inbox. */
  async #readEmailCode(mailbox: URL): Promise<string | undefined> {
    const response = await this.fetch(mailbox, { headers: { accept: "application/json" } });
    if (!response.ok) {
      await response.body?.cancel();
      return undefined;
    }
    const { code } = (await response.json()) as { code?: unknown };
    return typeof code === "string" ? code : undefined;
  }

  /** Forgets every cookie: the next navigation starts as a new browser would. */
  clearCookies(): void {
    this.#cookies.clear();
  }

  #store(url: URL, line: string): void {
    const [pair = "", ...attributes] = line.split(";");
    const separator = pair.indexOf("=");
    if (separator <= 0) return;
    const cookie: Cookie = {
      name: pair.slice(0, separator).trim(),
      value: pair.slice(separator + 1).trim(),
      host: url.hostname,
      path: url.pathname.slice(0, url.pathname.lastIndexOf("/")) || "/",
      secure: false,
      httpOnly: false,
      sameSite: "Lax",
      expiresAt: Infinity,
    };
    for (const attribute of attributes) {
      const [rawName = "", ...rest] = attribute.split("=");
      const name = rawName.trim().toLowerCase();
      const value = rest.join("=").trim();
      if (name === "path" && value.startsWith("/")) cookie.path = value;
      else if (name === "secure") cookie.secure = true;
      else if (name === "httponly") cookie.httpOnly = true;
      else if (name === "samesite") cookie.sameSite = sameSiteOf(value) ?? cookie.sameSite;
      else if (name === "max-age") cookie.expiresAt = Date.now() + Number(value) * 1000;
      else if (name === "expires" && cookie.expiresAt === Infinity)
        cookie.expiresAt = Date.parse(value);
    }
    const key = `${cookie.host}\0${cookie.path}\0${cookie.name}`;
    if (cookie.expiresAt <= Date.now()) this.#cookies.delete(key);
    else this.#cookies.set(key, cookie);
  }
}

function sameSiteOf(value: string): PlaywrightCookie["sameSite"] | undefined {
  const lower = value.toLowerCase();
  return lower === "strict"
    ? "Strict"
    : lower === "none"
      ? "None"
      : lower === "lax"
        ? "Lax"
        : undefined;
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith("/") || requestPath[cookiePath.length] === "/";
}

/**
 * The emulator's two pages that a browser gets through: its logout page (submitted by its own script) and
 * its login page (submitted with the identity the test chose). Anything else ends the navigation.
 */
function emulatorFormSubmission(
  html: string,
  base: URL,
  identity: { email: string } | { sub: string } | undefined,
): [URL, URLSearchParams] | undefined {
  const logoutForm = /<form[^>]*id="op\.logoutForm"[^>]*>/.exec(html)?.[0];
  if (logoutForm) {
    const action = attribute(logoutForm, "action");
    const xsrf = /name="xsrf" value="([^"]*)"/.exec(html)?.[1];
    if (action && xsrf !== undefined) {
      return [new URL(action, base), new URLSearchParams({ xsrf, logout: "yes" })];
    }
  }
  // A logout without a ProConnect session: oidc-provider's page posts the confirmation by itself.
  const confirm = /<form method="post" action="([^"]*\/session\/end\/confirm)">/.exec(html)?.[1];
  if (confirm && html.includes("document.forms[0].submit()")) {
    const fields = [...html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)"\/?>/g)];
    return [
      new URL(unescapeHtml(confirm), base),
      new URLSearchParams(fields.map(([, n = "", v = ""]): [string, string] => [n, v])),
    ];
  }
  const loginAction = /<form method="post" action="([^"]*\/interaction\/[^"]+\/login)"/.exec(
    html,
  )?.[1];
  if (loginAction && identity) return [new URL(loginAction, base), new URLSearchParams(identity)];
  return undefined;
}

/** The emulator's e-mail code form: where to post the code, and where the emulator shows it. */
function emailCodeForm(html: string): { action: string; mailbox: string } | undefined {
  const tag = /<form[^>]*\sdata-mailbox="[^"]*"[^>]*>/.exec(html)?.[0];
  if (!tag) return undefined;
  const action = attribute(tag, "action");
  const mailbox = attribute(tag, "data-mailbox");
  return action && mailbox
    ? { action: unescapeHtml(action), mailbox: unescapeHtml(mailbox) }
    : undefined;
}

/** The text of HTML with the entities the emulator's and Express's pages use decoded (`&amp;` last). */
export function unescapeHtml(value: string): string {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&nbsp;/g, " ")
    .replace(/&amp;/g, "&");
}

function attribute(tag: string, name: string): string | undefined {
  return new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];
}
