import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  startProConnectEmulator,
  TestBrowser,
  type ProConnectEmulator,
} from "../lib/testing/index.js";
import { REDIRECT_URI, testClient, toRp } from "./helpers/emulator.js";

// ProConnect's server (oidc-provider 7) writes a redirect's parameters with Node.js's querystring; the
// emulator does the same by default, and oidc-provider 9's form encoding with redirectEncoding: "form".
let percent: ProConnectEmulator;
let form: ProConnectEmulator;

beforeAll(async () => {
  [percent, form] = await Promise.all([
    startProConnectEmulator({ clients: [testClient()] }),
    startProConnectEmulator({ clients: [testClient()], redirectEncoding: "form" }),
  ]);
});
afterAll(() => Promise.all([percent.close(), form.close()]));

/** An authorize URL of the test client, `set` replacing or adding parameters. */
function authorizeUrl(emulator: ProConnectEmulator, set: Record<string, string>): URL {
  const url = new URL(`${emulator.issuer}/authorize`);
  url.search = new URLSearchParams({
    client_id: testClient().clientId,
    redirect_uri: REDIRECT_URI,
    response_type: "code",
    scope: "openid",
    state: "it's (a) state!*~",
    ...set,
  }).toString();
  return url;
}

/** The Location of an authorize request that oidc-provider answers with an error redirect. */
async function errorLocation(emulator: ProConnectEmulator, set: Record<string, string>) {
  const response = await fetch(authorizeUrl(emulator, set), { redirect: "manual" });
  expect(response.status).toBe(303);
  return response.headers.get("location") ?? "";
}

describe("the parameters of a redirect to the client", () => {
  it("are percent-encoded as ProConnect's server writes them, by default", async () => {
    const location = await errorLocation(percent, { prompt: "none" });
    expect(location).toBe(
      `${REDIRECT_URI}?error=login_required&error_description=End-User%20authentication%20is%20required&state=it's%20(a)%20state!*~&iss=${encodeURIComponent(percent.issuer)}`,
    );
  });

  it("are in the fragment for the response types that call for one, encoded the same", async () => {
    const location = await errorLocation(percent, { response_type: "id_token" });
    expect(location).toContain(
      "#error=unsupported_response_type&error_description=unsupported%20response_type%20requested&state=it's%20(a)%20state!*~&iss=",
    );
  });

  it("words PKCE without code_challenge_method as the server does", async () => {
    const location = await errorLocation(percent, { code_challenge: "c".repeat(43) });
    expect(new URL(location).searchParams.get("error_description")).toBe(
      "plain code_challenge_method fallback disabled, code_challenge_method must be provided",
    );
  });

  it("are form-encoded as oidc-provider 9 writes them with redirectEncoding: form", async () => {
    const location = await errorLocation(form, { prompt: "none" });
    expect(location).toBe(
      `${REDIRECT_URI}?error=login_required&error_description=End-User+authentication+is+required&state=it%27s+%28a%29+state%21*%7E&iss=${encodeURIComponent(form.issuer)}`,
    );
  });

  it("carry the code and state of a login, decoded alike", async () => {
    const url = authorizeUrl(percent, { state: "a b+c" });
    const page = await new TestBrowser().navigate(url, { email: "test@fia1.fr", stopAt: toRp });
    expect(page.location?.search).toContain("&state=a%20b%2Bc&");
    expect(page.location?.searchParams.get("state")).toBe("a b+c");
    expect(page.location?.searchParams.get("code")).toBeTruthy();
  });
});
