// Child process: one protected-route comparison of `npm run bench`, and nothing else. proconnect() +
// requireAuth() and the bare app, sharing one MemoryStore (a cookie signed in on one works on both), in
// a process of their own: the driver starts several in turn, and judges on all of them, because a
// process's compiled code (what V8 optimizes, and how) weighs on a ratio as much as the machine does.
import { randomBytes } from "node:crypto";
import { MemoryStore } from "express-session";
import type { EmulatorClientInput } from "../lib/testing/index.js";
import { serve } from "./ipc.js";
import { CLIENT_SECRET, listen, registration } from "./servers.js";
import { bareApp, proconnectApp } from "./rp-proconnect.js";

export interface RoutePair {
  /** The middleware's app (to sign in on) and the bare one. */
  middleware: string;
  bare: string;
  client: EmulatorClientInput;
  /** The Node.js version the pair runs on (`process.version`). */
  node: string;
}

async function startPair({ issuer }: { issuer: string }): Promise<RoutePair> {
  const sessionSecret = randomBytes(32).toString("base64url");
  const store = new MemoryStore();
  const middleware = await listen();
  const client = registration("route", middleware.url, "/callback");
  middleware.server.on(
    "request",
    proconnectApp({
      issuer,
      clientSecret: CLIENT_SECRET,
      sessionSecret,
      baseUrl: middleware.url,
      clientId: client.clientId,
      store,
    }),
  );
  const bare = await listen();
  bare.server.on("request", bareApp({ sessionSecret, store }));
  return { middleware: middleware.url, bare: bare.url, client, node: process.version };
}

serve({ start: startPair, cpu: () => process.cpuUsage() });
