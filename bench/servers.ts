// What the benchmark's server processes share: a server on a free loopback port, a client registration.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { EmulatorClientInput } from "../lib/testing/index.js";

export const CLIENT_SECRET = "bench-client-secret-of-more-than-32-characters";

export async function listen(): Promise<{ server: Server; url: string }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

export function registration(name: string, url: string, callback: string): EmulatorClientInput {
  return {
    clientId: `bench-${name}-${new URL(url).port}`,
    clientSecret: CLIENT_SECRET,
    redirectUris: [`${url}${callback}`],
    postLogoutRedirectUris: [`${url}/logout/callback`, `${url}/`],
    idTokenSignedResponseAlg: "ES256",
    userinfoSignedResponseAlg: "ES256",
    tokenEndpointAuthMethod: "client_secret_post",
  };
}
