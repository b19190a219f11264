// The back channel through an egress proxy, as many State networks require: Node's own proxy support
// (NODE_USE_ENV_PROXY=1 and HTTP_PROXY / HTTPS_PROXY, Node.js 22 and later) applies to it, because it
// goes through Node's global agents. CI runs this file on 22 (with the other runtime-dependent files)
// and 26.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProConnectEmulator, type ProConnectEmulator } from "../lib/testing/index.js";
import { runBackChannelLogins } from "./helpers/back-channel-login.js";
import { testClient } from "./helpers/emulator.js";
import { startForwardProxy, type ForwardProxy } from "./helpers/forward-proxy.js";
import { freePort } from "./helpers/net.js";

const supported = Number(process.versions.node.split(".")[0]) >= 22;
if (!supported) {
  console.warn(`Skipping the egress proxy tests: ${process.version} has no NODE_USE_ENV_PROXY.`);
}

let emulator: ProConnectEmulator;
let proxy: ForwardProxy;
let appPort: number;

beforeAll(async () => {
  if (!supported) return;
  appPort = await freePort();
  emulator = await startProConnectEmulator({
    clients: [testClient({ redirectUris: [`http://127.0.0.1:${appPort}/callback`] })],
  });
  proxy = await startForwardProxy();
});

afterAll(async () => {
  await proxy?.close();
  await emulator?.close();
});

describe.runIf(supported)("the back channel through an egress proxy (NODE_USE_ENV_PROXY)", () => {
  it("signs in with every request to ProConnect sent through HTTP_PROXY", async () => {
    const { emails } = await runBackChannelLogins(emulator.issuer, appPort, {
      NODE_USE_ENV_PROXY: "1",
      HTTP_PROXY: proxy.url,
      // The app itself is reached directly (the test browser runs in the same process).
      NO_PROXY: `127.0.0.1:${appPort}`,
    });
    expect(emails).toEqual(["test@fia1.fr", "test@fia1.fr"]);
    // The back channel's requests, each through the proxy as an absolute-form request.
    const backChannel = proxy.seen.filter((line) =>
      /(configuration|token|jwks|userinfo)$/.test(line),
    );
    expect(backChannel).toEqual([
      "GET /api/v2/.well-known/openid-configuration",
      "POST /api/v2/token",
      "GET /api/v2/jwks",
      "GET /api/v2/userinfo",
      "POST /api/v2/token",
      "GET /api/v2/userinfo",
    ]);
  }, 60_000);
});
