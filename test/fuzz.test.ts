// Property-based tests (fast-check): whatever a browser puts in the query of the routes, and whatever a
// developer passes to proconnect(), the answer is a clean refusal: never a 500, a crash or a session.
// Queries are built as raw strings and sent with node:http, so no URL library normalises them first.
import { maxHeaderSize, request, type IncomingHttpHeaders } from "node:http";
import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ACR_VALUES,
  CERTIFICATION_DIRIGEANT,
  PROCONNECT_ERROR_CODES,
  proconnect,
  ProConnectError,
  type ProConnectOptions,
} from "../lib/index.js";
import { TestBrowser, type ProConnectEmulator } from "../lib/testing/index.js";
import { sessionIdOf, storedSessions, type TestApp, useTestApp } from "./helpers/app.js";
import { toEmulator } from "./helpers/emulator.js";

let emulator: ProConnectEmulator;
let app: TestApp;

useTestApp((started) => ({ emulator, app } = started));

// The whole file takes 4 to 9 s on a 2-core machine, idle or loaded (a request costs a few ms). No
// fixed seed: a failure prints fast-check's seed and path, to pass to fc.assert to replay it.
/** Runs of each HTTP property. */
const HTTP_RUNS = 60;
/** Runs of the properties that use the session's genuine state (a login, sometimes a sign-in, per run). */
const GENUINE_RUNS = 30;
/** Runs of each options property: pure CPU, well under a millisecond each. */
const OPTIONS_RUNS = Number(process.env.OPTIONS_RUNS ?? 300);

// ---------------------------------------------------------------------------------------------------
// Raw HTTP
// ---------------------------------------------------------------------------------------------------

/** What the app (or Node itself, for an oversized request) answered. */
interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A GET with the request target exactly as given (node:http sends printable ASCII as is) and no
 * keep-alive. Node refuses a request whose head passes `maxHeaderSize` (16 KiB) with a 431, or drops
 * the connection while the client still writes: that is reported as status 0.
 */
function send(path: string, cookie = ""): Promise<Answer> {
  const { hostname, port } = new URL(app.url);
  return new Promise((resolve, reject) => {
    const req = request(
      { hostname, port, path, agent: false, headers: cookie ? { cookie } : {}, timeout: 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    );
    req.on("timeout", () =>
      req.destroy(new Error(`no answer in 10 s to GET ${path.slice(0, 200)}`)),
    );
    req.on("error", (error: NodeJS.ErrnoException) => {
      const dropped = error.code === "ECONNRESET" || error.code === "EPIPE";
      if (dropped && path.length > maxHeaderSize) resolve({ status: 0, headers: {}, body: "" });
      else reject(error);
    });
    req.end();
  });
}

/** The `{ code, message }` the test app's error handler answers with. */
function errorCodeOf(answer: Answer): string | undefined {
  try {
    return (JSON.parse(answer.body) as { code?: string }).code;
  } catch {
    return undefined;
  }
}

/** The session id in a `Set-Cookie` the app sent, if any. */
function setSessionId(answer: Answer): string | undefined {
  for (const line of answer.headers["set-cookie"] ?? []) {
    const cookie = /^connect\.sid=([^;]+)/.exec(line)?.[1];
    if (cookie) return /^s:([^.]+)\./.exec(decodeURIComponent(cookie))?.[1];
  }
  return undefined;
}

/**
 * Requests whose head Node may refuse before the app sees them: 431 when over `maxHeaderSize`, either
 * outcome in the last KiB below it (the Host and Cookie headers count too).
 */
const isOversized = (path: string) => path.length > maxHeaderSize;
const mayBeOversized = (path: string) => path.length > maxHeaderSize - 1024;

// ---------------------------------------------------------------------------------------------------
// Sessions
// ---------------------------------------------------------------------------------------------------

interface StoredProConnect {
  user?: unknown;
  idToken?: unknown;
}

const proconnectOf = (data: Record<string, unknown> | undefined) =>
  data?.proconnect as StoredProConnect | undefined;

/** Nobody signed in: no session in the store holds a user or an id_token. */
function expectNobodySignedIn(sessions: Record<string, Record<string, unknown>>) {
  for (const data of Object.values(sessions)) {
    expect(proconnectOf(data)?.user).toBeUndefined();
    expect(proconnectOf(data)?.idToken).toBeUndefined();
  }
}

/**
 * The data of sessions, without their `cookie`: a session whose cookie has a maxAge has its expiry
 * refreshed (`store.touch`) by any request that carries it, which writes no data.
 */
function withoutCookies(sessions: Record<string, Record<string, unknown>>) {
  return Object.fromEntries(
    Object.entries(sessions).map(([id, { cookie: _cookie, ...data }]) => [id, data]),
  );
}

/** The same sessions, with the same data (compared as JSON first: much faster than a deep equal). */
function expectSameSessions(
  after: Record<string, Record<string, unknown>>,
  before: Record<string, Record<string, unknown>>,
  where?: string,
) {
  const [now, then] = [withoutCookies(after), withoutCookies(before)];
  if (JSON.stringify(now) !== JSON.stringify(then)) expect(now, where).toEqual(then);
}

/** A refused request got no session: no cookie for a new one (a known session may be refreshed). */
function expectNoNewSession(answer: Answer, known: string | undefined, where?: string) {
  expect(setSessionId(answer) ?? known, where).toBe(known);
}

/** A returnTo kept for after the login stays in the app: a same-origin path, nothing a browser bends. */
function expectSameOriginPath(returnTo: string) {
  expect(returnTo).toMatch(/^\/(?![/\\])/);
  for (const char of returnTo) {
    expect(char.charCodeAt(0) >= 0x20 && char !== "\x7f" && char !== "\\", returnTo).toBe(true);
  }
  expect(new URL(returnTo, "http://app.invalid").origin).toBe("http://app.invalid");
}

/** A browser with a real login under way in its cookie (sent to ProConnect, not back yet). */
async function browserWithPendingLogin(): Promise<{ browser: TestBrowser; state: string }> {
  const browser = new TestBrowser();
  const page = await browser.navigate(`${app.url}/login?returnTo=/me`, {
    stopAt: toEmulator(emulator),
  });
  expect(page.status).toBe(303);
  return { browser, state: page.location!.searchParams.get("state")! };
}

/** A signed-in browser that posted /logout and was stopped before ProConnect's end_session. */
async function browserWithPendingLogout(): Promise<{ browser: TestBrowser; state: string }> {
  const browser = new TestBrowser();
  const signedIn = await browser.navigate(`${app.url}/login?returnTo=/me`, {
    email: "test@fia1.fr",
  });
  expect(signedIn.url.pathname).toBe("/me");
  const page = await browser.navigate(`${app.url}/logout`, {
    method: "POST",
    stopAt: toEmulator(emulator),
  });
  expect(page.status).toBe(303);
  return { browser, state: page.location!.searchParams.get("state")! };
}

// ---------------------------------------------------------------------------------------------------
// Query strings
// ---------------------------------------------------------------------------------------------------

/** The parameters the routes read, in the case they read them. */
const REAL_NAMES = [
  "state",
  "code",
  "iss",
  "error",
  "error_description",
  "returnTo",
  "idp_hint",
  "login_hint",
  "siret_hint",
  "prompt",
  "acr",
] as const;

/** What /login forwards from its query to ProConnect, once checked. */
const FORWARDED_HINTS = ["idp_hint", "login_hint", "siret_hint", "prompt"];

/** What /login sends to ProConnect itself: a query must not be able to set or override them. */
const AUTHORIZE_NAMES = [
  "client_id",
  "redirect_uri",
  "response_type",
  "scope",
  "nonce",
  "claims",
  "acr_values",
  "code_challenge",
  "code_challenge_method",
] as const;

// Placeholders replaced when a run sends its request: values only known once the servers run.
const ISSUER = "{{ISSUER}}";
const ISSUER_RAW = "{{ISSUER_RAW}}";
const STATE = "{{STATE}}";
const STATE_ENCODED = "{{STATE_ENCODED}}";
const STATE_TRUNCATED = "{{STATE_TRUNCATED}}";
const STATE_UPPER = "{{STATE_UPPER}}";

const percent = (byte: number) => `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;

/** Generalised UTF-8 (WTF-8): a lone surrogate keeps its 3-byte form instead of becoming U+FFFD. */
function wtf8(text: string): number[] {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    let point = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    if (point >= 0xd800 && point <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      point = 0x10000 + ((point - 0xd800) << 10) + (next - 0xdc00);
      i++;
    }
    if (point < 0x80) bytes.push(point);
    else if (point < 0x800) bytes.push(0xc0 | (point >> 6), 0x80 | (point & 63));
    else if (point < 0x10000)
      bytes.push(0xe0 | (point >> 12), 0x80 | ((point >> 6) & 63), 0x80 | (point & 63));
    else
      bytes.push(
        0xf0 | (point >> 18),
        0x80 | ((point >> 12) & 63),
        0x80 | ((point >> 6) & 63),
        0x80 | (point & 63),
      );
  }
  return bytes;
}

const percentEncoded = (text: string) => wtf8(text).map(percent).join("");

/** Fills in the placeholders of a generated query. */
function materialize(query: string, state = ""): string {
  return query
    .replaceAll(ISSUER_RAW, emulator.issuer)
    .replaceAll(ISSUER, encodeURIComponent(emulator.issuer))
    .replaceAll(STATE_ENCODED, [...state].map((char) => percent(char.charCodeAt(0))).join(""))
    .replaceAll(STATE_TRUNCATED, state.slice(0, -1))
    .replaceAll(STATE_UPPER, state.toUpperCase())
    .replaceAll(STATE, state);
}

/** Raw printable ASCII: everything a request target may carry unencoded, delimiters included. */
const rawAscii = fc.string({
  unit: fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code)),
  maxLength: 12,
});

/** Odd Unicode, percent-encoded: any code point, lone surrogates, NUL, bidi marks, BOM, emoji. */
const oddUnicode = fc
  .string({
    unit: fc.oneof(
      fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
      fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)),
      fc.constantFrom("\0", "\u200f", "\u202e", "\u2066", "\ufeff", "\u0301", "😀", "👩🏽‍💻", "\r\n"),
    ),
    minLength: 1,
    maxLength: 6,
  })
  .map(percentEncoded);

/** Percent-encoding that is not: truncated, not hex, invalid or overlong UTF-8. */
const badPercent = fc.constantFrom(
  "%",
  "%z",
  "%zz",
  "%2",
  "%%",
  "%%41",
  "%G0",
  "%E0%A4%A",
  "%E0%A4",
  "%C3",
  "%C0%AF",
  "%ED%A0%80",
  "%F4%90%80%80",
  "%FF%FE",
  "%00",
);

/** Values a route could take for real ones, or almost. */
const plausible = fc.oneof(
  fc.constantFrom(
    "",
    "abc",
    "forged-state-forged-state-forged-state-xx",
    "__proto__",
    "constructor",
    "toString",
    "hasOwnProperty",
    ISSUER,
    ISSUER_RAW,
    `${ISSUER}%2F`,
    "https%3A%2F%2Fevil.example%2Fapi%2Fv2",
    ...Object.keys(PROCONNECT_ERROR_CODES),
    "/me",
    "%2Fme",
    "//evil.example",
    "/%5Cevil.example",
    "https://evil.example/",
    "/%09/evil.example",
    "/%0D%0ASet-Cookie:%20a=b",
    "javascript:alert(1)",
    "fia1v2",
    "test%40fia1.fr",
    "test@fia1.fr",
    "a%40b.c%20d",
    "not-an-email",
    "13002526500013",
    "1300252650001",
    "130%2002526500013",
    "%D9%A1".repeat(14), // 14 Arabic-Indic digits: not \d
    "login",
    "consent",
    "none",
    "select_account",
    "login%20consent",
    "none%00",
    "eidas1",
    "eidas2%20eidas3",
    "eidas1%20",
    "%20eidas1",
    encodeURIComponent(CERTIFICATION_DIRIGEANT),
    "eidas9",
  ),
  fc.string({
    unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
    minLength: 43,
    maxLength: 43,
  }),
);

const fragment = fc.oneof(
  { weight: 4, arbitrary: plausible },
  { weight: 3, arbitrary: rawAscii },
  { weight: 2, arbitrary: oddUnicode },
  { weight: 2, arbitrary: badPercent },
  { weight: 1, arbitrary: fc.constantFrom("&", "=", "?", "#", ";", "+", "%26", "%3D", "%23") },
);

/** A value far past any sane length: below Node's header limit, or above it (Node answers 431). */
const huge = fc
  .tuple(
    fc.oneof(rawAscii, oddUnicode, badPercent, plausible).filter((chunk) => chunk.length > 0),
    fc.oneof(
      fc.integer({ min: 1_000, max: maxHeaderSize - 2_500 }),
      fc.integer({ min: maxHeaderSize + 100, max: 3 * maxHeaderSize }),
    ),
  )
  .map(([chunk, size]) => chunk.repeat(Math.ceil(size / chunk.length)).slice(0, size));

const value = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.array(fragment, { minLength: 1, maxLength: 3 }).map((parts) => parts.join("")),
  },
  { weight: 1, arbitrary: huge },
);

const name = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...REAL_NAMES) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom(...REAL_NAMES),
        fc.constantFrom("[]", "[a]", "[0]", "[__proto__]", "[][]", ".a", "%5B%5D", "%5Ba%5D"),
      )
      .map(([real, suffix]) => real + suffix),
  },
  { weight: 2, arbitrary: fc.constantFrom(...AUTHORIZE_NAMES) },
  { weight: 1, arbitrary: fc.constantFrom(...REAL_NAMES).map(percentEncoded) }, // %73%74%61%74%65
  { weight: 1, arbitrary: fc.constantFrom(...REAL_NAMES).map((real) => real.toUpperCase()) },
  {
    weight: 2,
    arbitrary: fc.constantFrom("", "__proto__", "constructor", "prototype", "toString", "%00"),
  },
  { weight: 2, arbitrary: fc.oneof(rawAscii, oddUnicode, badPercent) },
);

/** `name=value`, a bare name, a bare `=value`, or nothing at all (`&&`). */
const parameter = fc.oneof(
  { weight: 10, arbitrary: fc.tuple(name, value).map(([key, text]) => `${key}=${text}`) },
  { weight: 1, arbitrary: name },
  { weight: 1, arbitrary: value.map((text) => `=${text}`) },
  { weight: 1, arbitrary: fc.constant("") },
);

/** A raw query string, `?` included, from the parameters given (sometimes with a `#fragment`). */
const queryOf = (parameters: fc.Arbitrary<string[]>) =>
  fc
    .tuple(
      fc.constantFrom("?", "?", "?", "?", "??", "?&"),
      parameters,
      fc.constantFrom("&", "&", "&", "&&", ";"),
      fc.option(fragment, { freq: 8 }),
    )
    .map(
      ([start, list, separator, hash]) =>
        `${start}${list.join(separator)}${hash === null ? "" : `#${hash}`}`,
    );

/** One of the parameters the routes read, two or three times over. */
const repeated = fc
  .tuple(fc.constantFrom(...REAL_NAMES), fc.array(value, { minLength: 2, maxLength: 3 }))
  .map(([key, values]) => values.map((text) => `${key}=${text}`));

/** Anything a browser could put after the path: junk, real names, hostile values; or nothing. */
const junkQuery = fc.oneof(
  { weight: 1, arbitrary: fc.constant("") },
  { weight: 16, arbitrary: queryOf(fc.array(parameter, { maxLength: 6 })) },
  {
    weight: 4,
    arbitrary: queryOf(
      fc
        .tuple(fc.array(parameter, { maxLength: 3 }), repeated, fc.nat())
        .map(([others, again, at]) => {
          const list = [...others];
          list.splice(at % (list.length + 1), 0, ...again);
          return list;
        }),
    ),
  },
);

/**
 * How the request names its target: the origin form browsers send (`/callback?…`), or the absolute
 * form a client talking to Node directly may send, with authorities Node's parser lets through but the
 * URL standard refuses (a port past 65535, `[1]`). Express routes either by its path.
 */
const targetOrigin = fc.oneof(
  { weight: 4, arbitrary: fc.constant("") },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "http://x:99999",
      "http://x:65536",
      "http://[1]",
      "http://127.0.0.1",
      "https://evil.example",
      "http://u:p@host:1",
    ),
  },
);

/** Absolute-form targets that once made /callback and /logout/callback answer a 500 (new URL threw). */
const ABSOLUTE_FORM_EXAMPLES: [string, string][] = [
  ["http://x:99999", "?state=x"],
  ["http://[1]", "?state=x&code=y"],
];

/** The same, with the session's genuine state in it somewhere, as is or bent. */
const queryWithGenuineState = (extra: string[]) =>
  queryOf(
    fc
      .tuple(
        fc.array(parameter, { maxLength: 4 }),
        fc.constantFrom("state", "state", "state", "state", "%73tate", "state[]", "STATE"),
        fc.constantFrom(STATE, STATE, STATE, STATE_ENCODED, STATE_TRUNCATED, STATE_UPPER),
        fc.subarray(extra),
        fc.nat(),
      )
      .map(([others, key, genuine, added, at]) => {
        const list = [...others, ...added];
        list.splice(at % (list.length + 1), 0, `${key}=${genuine}`);
        return list;
      }),
  );

// ---------------------------------------------------------------------------------------------------
// The HTTP properties
// ---------------------------------------------------------------------------------------------------

interface Client {
  /** The Cookie header sent (empty for a cookie-less client). */
  cookie: string;
  /** The id of the client's session in the store, if it has one. */
  sessionId: string | undefined;
}

const cookieLess = (): Client => ({ cookie: "", sessionId: undefined });

async function withPendingLogin(): Promise<Client> {
  const { browser } = await browserWithPendingLogin();
  // The attempt is in its own cookie: the browser has no session yet.
  expect(sessionIdOf(browser, app)).toBeUndefined();
  return { cookie: browser.cookieHeader(app.url), sessionId: undefined };
}

/** The attempt a `Set-Cookie` of this answer carries for `state`, as the cookie's JSON fields. */
function attemptCookie(answer: Answer, state: string): { value: string; line: string } | undefined {
  for (const line of answer.headers["set-cookie"] ?? []) {
    if (line.startsWith(`proconnect-login.${state}=`)) {
      return { value: line.slice(line.indexOf("=") + 1, line.indexOf(";")), line };
    }
  }
  return undefined;
}

/**
 * One run: sends `route + query` from `client`, lets `judge` check the answer and say whether the
 * request was accepted; then nobody is signed in, and a refused request left the store as it was.
 */
async function fuzzOnce(
  route: string,
  query: string,
  client: Client,
  judge: (answer: Answer, path: string) => "accepted" | "refused",
): Promise<void> {
  const path = route + materialize(query);
  const before = await storedSessions(app.store);
  const answer = await send(path, client.cookie);

  if (isOversized(path)) {
    expect([431, 0]).toContain(answer.status); // Node's own refusal: the app never saw it
    expectSameSessions(await storedSessions(app.store), before);
    return;
  }
  if (answer.status === 431 && mayBeOversized(path)) {
    expectSameSessions(await storedSessions(app.store), before);
    return;
  }

  const outcome = judge(answer, path);
  const after = await storedSessions(app.store);
  expectNobodySignedIn(after);
  if (outcome === "refused") {
    expectNoNewSession(answer, client.sessionId);
    expectSameSessions(after, before); // no session written, changed or dropped
  }
}

/** {@link fuzzOnce} on `route` with HTTP_RUNS junk queries from `client`, in either target form. */
const fuzzJunk = (route: string, client: Client, judge: Parameters<typeof fuzzOnce>[3]) =>
  fc.assert(
    fc.asyncProperty(targetOrigin, junkQuery, (origin, query) =>
      fuzzOnce(origin + route, query, client, judge),
    ),
    { numRuns: HTTP_RUNS, examples: ABSOLUTE_FORM_EXAMPLES },
  );

/** /callback and /logout/callback refuse anything without the session's genuine state: 400. */
const refusedWith =
  (...codes: string[]) =>
  (answer: Answer, path: string): "refused" => {
    expect(answer.status, path.slice(0, 300)).toBe(400);
    expect(codes, `${path.slice(0, 300)} → ${answer.body.slice(0, 300)}`).toContain(
      errorCodeOf(answer),
    );
    return "refused";
  };

/** 5xx codes a callback carrying the genuine state may end on: what ProConnect (or the query) said. */
const UPSTREAM_5XX = [
  "issuer_mismatch",
  "provider_error",
  "invalid_id_token",
  "server_error",
  "temporarily_unavailable",
];

describe("GET /callback with arbitrary query strings", () => {
  const judge = refusedWith("invalid_state", "invalid_callback");

  it("refuses them from a cookie-less client with 400 invalid_state or invalid_callback, creating no session", async () => {
    await fuzzJunk("/callback", cookieLess(), judge);
  });

  it("refuses them from a browser with a login under way with 400, writing nothing to the store", async () => {
    await fuzzJunk("/callback", await withPendingLogin(), judge);
  });

  it("with the session's genuine state in a junk callback: never a 500, a redirect or a user, and the attempt is used up", async () => {
    const extra = ["code=not-a-real-code", `iss=${ISSUER}`];
    await fc.assert(
      fc.asyncProperty(queryWithGenuineState(extra), async (query) => {
        const { browser, state } = await browserWithPendingLogin();
        const id = sessionIdOf(browser, app);
        const before = await storedSessions(app.store);
        const path = `/callback${materialize(query, state)}`;
        const answer = await send(path, browser.cookieHeader(app.url));
        const code = errorCodeOf(answer);
        const where = `${path.slice(0, 300)} → ${answer.status} ${answer.body.slice(0, 300)}`;

        if (isOversized(path) || (answer.status === 431 && mayBeOversized(path))) {
          expect([431, 0], where).toContain(answer.status);
          expectSameSessions(await storedSessions(app.store), before, where);
          return;
        }
        // Nothing the query says can sign anyone in: no valid code can be guessed. A 4xx, or a 5xx
        // naming ProConnect's side: what the query says ProConnect said (error=server_error…, a
        // foreign iss), or ProConnect refusing the junk code; never a 500.
        expect(Object.keys(PROCONNECT_ERROR_CODES), where).toContain(code);
        expect(answer.status, where).toBe(
          PROCONNECT_ERROR_CODES[code as keyof typeof PROCONNECT_ERROR_CODES],
        );
        if (answer.status >= 500) expect(UPSTREAM_5XX, where).toContain(code);
        else expect(answer.status, where).toBeGreaterThanOrEqual(400);
        expectNoNewSession(answer, id, where);

        const after = await storedSessions(app.store);
        expectNobodySignedIn(after);
        expectSameSessions(after, before, where); // no session written, changed or dropped
        if (
          !(code === "invalid_state" || code === "invalid_callback") ||
          /has no (code|iss)/.test(answer.body)
        ) {
          // The state matched (and there was no code, or worse): the attempt's cookie is deleted, so a
          // replay of this callback finds nothing.
          expect(attemptCookie(answer, state)?.line, where).toMatch(
            /=; .*Expires=Thu, 01 Jan 1970/,
          );
        }
      }),
      { numRuns: GENUINE_RUNS },
    );
  });
});

describe("GET /callback with the genuine state but not a code response", () => {
  it("turns error=invalid_options (the seed that once failed) into 502 provider_error, never our own code", async () => {
    for (const error of ["invalid_options", "session_missing", "not_configured", "invalid_state"]) {
      const { browser, state } = await browserWithPendingLogin();
      const answer = await send(
        `/callback?state=${state}&error=${error}&iss=${encodeURIComponent(emulator.issuer)}`,
        browser.cookieHeader(app.url),
      );
      expect([answer.status, errorCodeOf(answer)], error).toEqual([502, "provider_error"]);
      expect(answer.body).toContain(error);
    }
  });

  it("refuses a code without iss with 400 invalid_callback, before any token request", async () => {
    const { browser, state } = await browserWithPendingLogin();
    const tokenCalls = () => emulator.requestCounts()["/api/v2/token"] ?? 0;
    const before = tokenCalls();
    const answer = await send(`/callback?state=${state}&code=x`, browser.cookieHeader(app.url));
    expect([answer.status, errorCodeOf(answer)]).toEqual([400, "invalid_callback"]);
    expect(tokenCalls()).toBe(before);
  });
});

/**
 * A cookie under the login attempts' prefix, as a browser may hold one: a name this library could have
 * set (word characters and `-`) or one it never sets (a space, `/`, `:`, non-ASCII: planted by a
 * sibling subdomain over http), with any value.
 */
const loginCookie = fc
  .tuple(
    fc.string({
      unit: fc.constantFrom(...'aZ09-_ /:()@,[]?{}\\"é.~'),
      maxLength: 20,
    }),
    fc.oneof(
      rawAscii.filter((text) => !text.includes(";")),
      fc.constant(""),
    ),
  )
  .map(([name, text]) => `proconnect-login.${name}=${text}`);

describe("GET /login with arbitrary query strings", () => {
  /** 303 to ProConnect's authorize endpoint, or 400 invalid_login_request. */
  function judge(answer: Answer, path: string): "accepted" | "refused" {
    const where = `${path.slice(0, 300)} → ${answer.status} ${answer.body.slice(0, 300)}`;
    expect([303, 400], where).toContain(answer.status);
    if (answer.status === 400) {
      expect(errorCodeOf(answer), where).toBe("invalid_login_request");
      return "refused";
    }
    const location = new URL(answer.headers.location!);
    expect(location.origin + location.pathname, where).toBe(`${emulator.issuer}/authorize`);
    expectAuthorizeParameters(location.searchParams, where);
    return "accepted";
  }

  /**
   * The query cannot set what /login sends on its own, and forwards only hints ProConnect accepts
   * (its rules, as README's "Authorize-parameter rules" give them).
   */
  function expectAuthorizeParameters(params: URLSearchParams, where: string) {
    const allowed = new Set<string>([...AUTHORIZE_NAMES, "state", ...FORWARDED_HINTS]);
    for (const key of new Set(params.keys())) {
      expect(allowed.has(key), `${key} in ${where}`).toBe(true);
      expect(params.getAll(key), `${key} in ${where}`).toHaveLength(1);
    }
    expect(params.get("client_id"), where).toBe(app.clientId);
    expect(params.get("redirect_uri"), where).toBe(`${app.url}/callback`);
    expect(params.get("response_type"), where).toBe("code");
    expect(params.get("scope")?.split(" ").sort(), where).toEqual(
      ["email", "given_name", "idp_id", "openid", "siret", "uid", "usual_name"], // the default
    );
    expect(params.get("code_challenge_method"), where).toBe("S256");
    expect(params.get("state"), where).toMatch(/^[\w-]{43}$/);
    expect(params.get("nonce"), where).toMatch(/^[\w-]{43}$/);
    const hint = (key: string) => params.get(key) ?? undefined;
    if (hint("login_hint")) expect(hint("login_hint"), where).toMatch(/^[^\s@]+@[^\s@]+\.[^\s@]+$/);
    if (hint("siret_hint")) expect(hint("siret_hint"), where).toMatch(/^\d{14}$/);
    if (hint("idp_hint")) expect(hint("idp_hint"), where).toMatch(/^[\x21-\x7e]{1,256}$/);
    if (hint("prompt")) expect(["login", "consent", "none"], where).toContain(hint("prompt"));
    if (hint("claims")) {
      const claims = JSON.parse(hint("claims")!) as { id_token?: { acr?: { values?: string[] } } };
      for (const acr of claims.id_token?.acr?.values ?? [])
        expect(ACR_VALUES, where).toContain(acr);
    }
  }

  /** After a 303, the attempt is in its own cookie, with a same-origin returnTo; no session is made. */
  function expectAttemptCookie(answer: Answer, client: Client) {
    expectNoNewSession(answer, client.sessionId);
    const state = new URL(answer.headers.location!).searchParams.get("state")!;
    const cookie = attemptCookie(answer, state);
    expect(cookie?.line).toMatch(/; HttpOnly; SameSite=Lax$/);
    const fields = JSON.parse(
      Buffer.from(cookie!.value, "base64url").toString("utf8"),
    ) as unknown[];
    expectSameOriginPath(fields[2] as string);
  }

  for (const [label, setup] of [
    ["a cookie-less client", async () => cookieLess()],
    ["a browser with a login under way", withPendingLogin],
  ] as const) {
    it(`redirects to ProConnect's authorize endpoint or refuses with 400 invalid_login_request, from ${label}`, async () => {
      const client = await setup();
      await fc.assert(
        fc.asyncProperty(targetOrigin, junkQuery, async (origin, query) => {
          let accepted: Answer | undefined;
          await fuzzOnce(`${origin}/login`, query, client, (answer, path) => {
            const outcome = judge(answer, path);
            if (outcome === "accepted") accepted = answer;
            return outcome;
          });
          if (accepted) expectAttemptCookie(accepted, client);
        }),
        { numRuns: HTTP_RUNS, examples: ABSOLUTE_FORM_EXAMPLES },
      );
    });
  }

  it("redirects to ProConnect whatever cookies under its prefix a browser sends, clearing only names it could have set", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(loginCookie, { minLength: 1, maxLength: 8 }), async (cookies) => {
        const header = cookies.join("; ");
        const answer = await send("/login", header);
        const where = `${header.slice(0, 300)} → ${answer.status} ${answer.body.slice(0, 300)}`;
        expect(judge(answer, where), where).toBe("accepted");
        for (const line of answer.headers["set-cookie"] ?? []) {
          expect(line.slice(0, line.indexOf("=")), where).toMatch(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/);
        }
        expectAttemptCookie(answer, cookieLess());
      }),
      {
        numRuns: HTTP_RUNS,
        examples: [[["proconnect-login.a b=x"]], [["proconnect-login.a/b=x"]]],
      },
    );
  });
});

describe("GET /logout/callback with arbitrary query strings", () => {
  const judge = refusedWith("invalid_logout_state");

  it("refuses them from a cookie-less client with 400 invalid_logout_state, creating no session", async () => {
    await fuzzJunk("/logout/callback", cookieLess(), judge);
  });

  it("refuses them from a browser with a login under way with 400, leaving its session untouched", async () => {
    await fuzzJunk("/logout/callback", await withPendingLogin(), judge);
  });

  it("with a logout under way: accepts exactly one state equal to the browser's logout cookie, refuses anything else with 400, the store untouched", async () => {
    const { browser, state } = await browserWithPendingLogout();
    const cookie = browser.cookieHeader(app.url);
    expect(cookie).toContain(`proconnect-logout=${state}`);
    await fc.assert(
      fc.asyncProperty(queryWithGenuineState([]), async (query) => {
        const before = await storedSessions(app.store);
        const path = `/logout/callback${materialize(query, state)}`;
        const answer = await send(path, cookie);
        const where = `${path.slice(0, 300)} → ${answer.status} ${answer.body.slice(0, 300)}`;
        // POST /logout ended the session: its callback never touches the store.
        expectSameSessions(await storedSessions(app.store), before, where);
        expectNoNewSession(answer, undefined, where);
        if (isOversized(path) || (answer.status === 431 && mayBeOversized(path))) {
          expect([431, 0], where).toContain(answer.status);
          return;
        }

        // The URL standard's reading of the query (a `#` ends it): one state, the cookie's.
        const states = new URL(path, "http://app.invalid").searchParams.getAll("state");
        const genuine = states.length === 1 && states[0] === state;
        if (genuine) {
          expect([answer.status, answer.headers.location], where).toEqual([303, "/"]);
          expect(answer.headers["set-cookie"], where).toContainEqual(
            expect.stringMatching(/^proconnect-logout=;/),
          );
        } else {
          expect([answer.status, errorCodeOf(answer)], where).toEqual([
            400,
            "invalid_logout_state",
          ]);
          expect(answer.headers["set-cookie"], where).toBeUndefined();
        }
      }),
      // "??state=…": the name is "?state" (the URL standard), a seed that once signed out.
      { numRuns: GENUINE_RUNS, examples: [[`??state=${STATE}`], [`?state=${STATE}#x`]] },
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// proconnect(options)
// ---------------------------------------------------------------------------------------------------

const SECRET = "fuzz-secret-that-must-never-appear-in-an-error-message";

/** Every option set, all valid (a fresh object each time: mutations must not leak between runs). */
function validOptions(): Record<string, unknown> {
  return {
    clientId: "fuzz-client",
    clientSecret: SECRET,
    baseUrl: "https://service.example.gouv.fr/app",
    environment: "production",
    network: "internet",
    issuer: "https://auth.example.gouv.fr/api/v2",
    scopes: ["openid", "email", "siret", "idp_id"],
    routes: {
      login: "/login",
      callback: "/callback",
      logout: "/logout",
      logoutCallback: "/logout/callback",
    },
    idTokenSignedResponseAlg: "ES256",
    userinfoSignedResponseAlg: "RS256",
    acrValues: ["eidas1"],
    claims: { id_token: { amr: { essential: true } }, userinfo: { siret: null } },
    postLoginRedirect: "/",
    postLogoutRedirect: "/bye",
    httpTimeout: 5000,
    clockTolerance: 10,
    loginTimeout: 600,
    maxPendingLogins: 5,
    allowedIdps: ["fia1v2"],
    storeTokens: false,
    onLogin: (user: unknown) => user,
    logger: { warn: () => undefined },
  };
}

const OPTION_KEYS = Object.keys(validOptions());
const POLLUTING_KEYS = ["__proto__", "constructor", "prototype"];

/** Where a mutation lands: every option, unknown ones, and inside the nested ones. */
const mutationPath = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...OPTION_KEYS).map((key) => [key]) },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom(...POLLUTING_KEYS, "clientID", "redirectUri", "scope", "toString", "then", "")
      .map((key) => [key]),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom<string[]>(
      ["routes", "login"],
      ["routes", "callback"],
      ["routes", "logout"],
      ["routes", "logoutCallback"],
    ),
  },
  {
    weight: 3,
    arbitrary: fc.constantFrom<string[]>(
      ["routes", "__proto__"],
      ["routes", "admin"],
      ["claims", "id_token"],
      ["claims", "id_token", "amr"],
      ["claims", "id_token", "amr", "essential"],
      ["claims", "id_token", "amr", "values"],
      ["claims", "id_token", "__proto__"],
      ["claims", "userinfo", "constructor"],
      ["claims", "__proto__"],
      ["scopes", "0"],
      ["scopes", "9"],
      ["acrValues", "0"],
      ["allowedIdps", "0"],
      ["logger", "warn"],
      ["logger", "__proto__"],
    ),
  },
);

const hugeString = fc
  .tuple(
    fc.constantFrom("x", "/", "é", "https://a.example/", "%", "\0"),
    fc.integer({ min: 10_000, max: 200_000 }),
  )
  .map(([chunk, times]) => chunk.repeat(Math.ceil(times / chunk.length)));

/** Values no option wants, and some that another option wants. */
const junkValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    undefined,
    "",
    " ",
    0,
    -0,
    -1,
    1.5,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.MAX_SAFE_INTEGER + 2,
    true,
    false,
    10n ** 30n,
    "http://evil.example",
    "https://",
    "http://localhost:3000",
    "ftp://service.example.gouv.fr",
    "javascript:alert(1)",
    "https://service.example.gouv.fr/app?x=1#y",
    "https://*.example.gouv.fr",
    "/login*",
    "/a?b",
    "//evil.example",
    "/\\evil.example",
    "/",
    "production",
    "rie",
    "HS256",
    "none",
    "eidas1",
    "openid",
    "admin",
  ),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.string({ maxLength: 8 }).map((path) => `/${path}`), // a path, with any printable ASCII in it
  hugeString,
  fc.string().map((description) => Symbol(description)),
  fc.func(fc.anything()),
  fc.constant(() => {
    throw new Error("called");
  }),
  fc
    .constantFrom<() => unknown>(
      () => [],
      () => new Date(Number.NaN),
      () => /x/,
      () => new Map([["clientId", "x"]]),
      () => new Error("x"),
      () => Object.create(null),
      () => new Uint8Array(3),
      () => Promise.resolve(validOptions()),
      () => new Proxy({}, {}),
      () => ({ [Symbol("clientId")]: "x", [Symbol.iterator]: "not a function" }),
      () => ({
        // Throws if anything turns it into a string or a number (an error message, a comparison…).
        [Symbol.toPrimitive]: () => {
          throw new Error("coerced");
        },
        toString: () => {
          throw new Error("coerced");
        },
      }),
      () =>
        JSON.parse(
          '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}',
        ),
    )
    .map((make) => make()),
  fc.anything({
    maxDepth: 3,
    withBigInt: true,
    withBoxedValues: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withNullPrototype: true,
    withObjectString: true,
    withSparseArray: true,
    withTypedArray: true,
    key: fc.oneof(
      fc.string(),
      fc.constantFrom(...OPTION_KEYS, ...POLLUTING_KEYS, "toString", "valueOf", "then"),
    ),
  }),
);

type Mutation =
  | { kind: "set"; path: string[]; value: unknown }
  | { kind: "delete"; path: string[] }
  | { kind: "prototype"; path: string[]; value: unknown };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("set" as const),
      path: mutationPath,
      value: junkValue,
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("delete" as const), path: mutationPath }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("prototype" as const),
      path: mutationPath.map((path) => path.slice(0, -1)),
      value: fc.oneof(
        fc.constant(null),
        fc
          .constantFrom(...OPTION_KEYS)
          .chain((key) => junkValue.map((junk) => ({ [key]: junk }) as unknown)),
      ),
    }),
  },
);

const isObject = (value: unknown): value is Record<string, unknown> =>
  (typeof value === "object" && value !== null) || typeof value === "function";

/** Applies mutations to a fresh valid configuration: own properties (a `__proto__` key stays a key). */
function mutate(mutations: Mutation[]): Record<string, unknown> {
  const options = validOptions();
  for (const change of mutations) {
    let container: unknown = options;
    const keys = change.kind === "prototype" ? change.path : change.path.slice(0, -1);
    for (const key of keys) container = isObject(container) ? container[key] : undefined;
    if (!isObject(container)) continue;
    const last = change.path.at(-1)!;
    try {
      if (change.kind === "set") {
        Object.defineProperty(container, last, {
          value: change.value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else if (change.kind === "delete") {
        Reflect.deleteProperty(container, last);
      } else if (change.value === null || isObject(change.value)) {
        Object.setPrototypeOf(container, change.value);
      }
    } catch {
      // What the container refuses (a Symbol in a typed array, a prototype cycle…): left as it was.
    }
  }
  return options;
}

/** What `proconnect(options)` does: a router, a ProConnectError, or anything else it throws. */
function outcomeOf(options: unknown): { router: true } | { code: string } | { other: unknown } {
  try {
    const router = proconnect(options as ProConnectOptions);
    expect(typeof router).toBe("function");
    return { router: true };
  } catch (error) {
    if (!(error instanceof ProConnectError)) return { other: error };
    expect(error.status).toBe(500);
    expect(error.message).not.toContain(SECRET); // the secret is never put in an error
    return { code: error.code };
  }
}

/** A router, or invalid_options; and nothing leaked onto Object.prototype. */
function expectRouterOrInvalidOptions(options: unknown) {
  const prototypeKeys = Object.getOwnPropertyNames(Object.prototype);
  const outcome = outcomeOf(options);
  expect(Object.getOwnPropertyNames(Object.prototype)).toEqual(prototypeKeys);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  if (!("router" in outcome)) expect(outcome).toEqual({ code: "invalid_options" });
}

describe("proconnect(options) with arbitrary options", () => {
  it("accepts the valid configuration the mutations start from", () => {
    expect(outcomeOf(validOptions())).toEqual({ router: true });
  });

  it("returns a router or throws ProConnectError invalid_options for a mutated valid configuration", () => {
    fc.assert(
      fc.property(
        fc.array(mutation, { minLength: 1, maxLength: 4 }).map(mutate),
        expectRouterOrInvalidOptions,
      ),
      { numRuns: OPTIONS_RUNS },
    );
  });

  it("returns a router or throws ProConnectError invalid_options for any value at all", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything({ withBigInt: true, withNullPrototype: true, withTypedArray: true }),
          junkValue,
        ),
        expectRouterOrInvalidOptions,
      ),
      { numRuns: OPTIONS_RUNS },
    );
  });

  it("refuses scopes given as a typed array (a seed that once threw a TypeError) with invalid_options", () => {
    expect(outcomeOf({ ...validOptions(), scopes: Int16Array.from([0]) })).toEqual({
      code: "invalid_options",
    });
  });

  it('refuses a baseUrl that is not a URL ("", "mon-service.gouv.fr") with invalid_options', () => {
    const outcomes = ["", "mon-service.gouv.fr"].map((baseUrl) =>
      outcomeOf({ clientId: "a", clientSecret: "b", baseUrl }),
    );
    expect(outcomes).toEqual([{ code: "invalid_options" }, { code: "invalid_options" }]);
  });

  it('refuses a route written as an Express pattern ("/(", "/:id", "/{a}") with invalid_options', () => {
    for (const login of ["/(", "/:id", "/{a}", "/a+"]) {
      expect(
        outcomeOf({
          clientId: "a",
          clientSecret: "b",
          baseUrl: "https://a.example",
          routes: { login },
        }),
      ).toEqual({ code: "invalid_options" });
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// Still standing
// ---------------------------------------------------------------------------------------------------

describe("after the fuzzing", () => {
  it("still signs test@fia1.fr in through a normal complete login", async () => {
    const browser = new TestBrowser();
    const page = await browser.navigate(`${app.url}/login?returnTo=/me`, { email: "test@fia1.fr" });
    expect([page.status, page.url.pathname]).toEqual([200, "/me"]);
    expect(JSON.parse(page.body)).toMatchObject({ email: "test@fia1.fr", siret: "13002526500013" });
  });
});
