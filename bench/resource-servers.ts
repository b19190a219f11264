// Child process: the resource-server comparison of `npm run bench`. The same JSON route three times:
// behind requireBearer() with its cache (warm), behind requireBearer({ cache: false }) (one
// introspection per call), and bare (no middleware), in one process whose CPU time the driver reads.
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import express, { type RequestHandler } from "express";
import * as oidc from "openid-client";
import { requireBearer } from "../lib/index.js";
import { TestBrowser, type EmulatorClientInput } from "../lib/testing/index.js";
import { serve } from "./ipc.js";

const CLIENT_SECRET = "bench-resource-server-secret-of-more-than-32-chars";
// Nothing listens there: the login stops before following the redirect to the service provider.
const SP_CALLBACK = "http://127.0.0.1:9/callback";

export interface ResourceServers {
  clients: EmulatorClientInput[];
  /** The service provider whose access token the runs send. */
  spClientId: string;
  urls: { cached: string; uncached: string; bare: string };
}

async function listen(route: RequestHandler | undefined): Promise<string> {
  const app = express();
  const handlers: RequestHandler[] = route ? [route] : [];
  // The same answer on every server: the bare one is given the sub the others read from the token,
  // and sets the Cache-Control that requireBearer() sets (an answer about a person needs it).
  app.get("/api/me", ...handlers, (req, res) => {
    if (!route) res.set("Cache-Control", "private, no-store");
    res.json({ sub: req.proconnectToken?.sub ?? bareSub });
  });
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let bareSub = "";

async function startAll({ issuer }: { issuer: string }): Promise<ResourceServers> {
  const suffix = randomBytes(4).toString("hex");
  const sp: EmulatorClientInput = {
    clientId: `bench-sp-${suffix}`,
    clientSecret: CLIENT_SECRET,
    redirectUris: [SP_CALLBACK],
  };
  const rs: EmulatorClientInput = {
    clientId: `bench-rs-${suffix}`,
    clientSecret: CLIENT_SECRET,
    redirectUris: ["http://127.0.0.1:9/unused"],
  };
  const options = {
    clientId: rs.clientId,
    clientSecret: CLIENT_SECRET,
    issuer,
    allowedClients: [sp.clientId],
  };
  return {
    clients: [sp, rs],
    spClientId: sp.clientId,
    urls: {
      cached: await listen(requireBearer(options)),
      // Every call is an introspection here, on purpose: no budget in the way of the measure.
      uncached: await listen(
        requireBearer({ ...options, cache: false, maxIntrospectionsPerSecond: 100_000 }),
      ),
      bare: await listen(undefined),
    },
  };
}

/** A login of the service provider `sp` at the emulator, as an app does it: its access token. */
async function accessToken({ issuer, clientId }: { issuer: string; clientId: string }) {
  const config = await oidc.discovery(
    new URL(issuer),
    clientId,
    undefined,
    oidc.ClientSecretPost(CLIENT_SECRET),
    { execute: [oidc.allowInsecureRequests] },
  );
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: SP_CALLBACK,
    scope: "openid email siret idp_id",
    state,
    nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
  });
  const page = await new TestBrowser().navigate(url, {
    email: "test@fia1.fr",
    stopAt: (next) => next.href.startsWith(SP_CALLBACK),
  });
  if (!page.location) throw new Error(`the bench's login stopped at HTTP ${page.status}`);
  const tokens = await oidc.authorizationCodeGrant(config, page.location, {
    expectedState: state,
    expectedNonce: nonce,
    pkceCodeVerifier: verifier,
  });
  const claims = tokens.claims();
  if (!claims) throw new Error("the bench's login got no id_token");
  bareSub = claims.sub;
  return tokens.access_token;
}

serve({
  start: startAll,
  accessToken,
  cpu: () => process.cpuUsage(),
});
