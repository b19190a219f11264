// Child process: the relying parties under test, each on its own port with its own client registration.
// The protected-route comparison has processes of its own (route-pair.ts).
import { randomBytes } from "node:crypto";
import { pino } from "pino";
import { auditLog } from "../lib/index.js";
import { MemoryStore } from "express-session";
import type { EmulatorClientInput } from "../lib/testing/index.js";
import { serve } from "./ipc.js";
import { CLIENT_SECRET, listen, registration } from "./servers.js";
import { eocApp } from "./rp-express-openid-connect.js";
import * as official from "./rp-official-style.js";
import * as ours from "./rp-proconnect.js";

export type RpName = "proconnect" | "official" | "eoc";

export interface Started {
  /** Base URL and client registration of each relying party. */
  rps: Record<RpName, { url: string; client: EmulatorClientInput }>;
}

const sessionSecret = randomBytes(32).toString("base64url");
const stores = { proconnect: new MemoryStore(), official: new MemoryStore() };

async function startAll({ issuer }: { issuer: string }): Promise<Started> {
  const common = { issuer, clientSecret: CLIENT_SECRET, sessionSecret };

  const a = await listen();
  const aClient = registration("proconnect", a.url, "/callback");
  a.server.on(
    "request",
    ours.proconnectApp({
      ...common,
      baseUrl: a.url,
      clientId: aClient.clientId,
      store: stores.proconnect,
    }),
  );

  const b = await listen();
  const bClient = registration("official", b.url, official.CALLBACK_PATH);
  b.server.on(
    "request",
    official.officialStyleApp({
      ...common,
      baseUrl: b.url,
      clientId: bClient.clientId,
      store: stores.official,
    }),
  );

  const c = await listen();
  const cClient = registration("eoc", c.url, "/callback");
  c.server.on("request", eocApp({ ...common, baseUrl: c.url, clientId: cClient.clientId }));

  return {
    rps: {
      proconnect: { url: a.url, client: aClient },
      official: { url: b.url, client: bClient },
      eoc: { url: c.url, client: cClient },
    },
  };
}

/** The session id in express-session's signed cookie (`s:<id>.<signature>`), from a Cookie header. */
function sessionId(cookieHeader: string, name: string): string | undefined {
  const value = cookieHeader
    .split("; ")
    .find((pair) => pair.startsWith(`${name}=`))
    ?.slice(name.length + 1);
  return value ? /^s:([^.]+)\./.exec(decodeURIComponent(value))?.[1] : undefined;
}

/** Bytes of the session entry a store holds for this cookie (MemoryStore keeps JSON.stringify(session)). */
function storedBytes({ rp, cookie }: { rp: "proconnect" | "official"; cookie: string }) {
  const name = rp === "proconnect" ? ours.SESSION_COOKIE : official.SESSION_COOKIE;
  const id = sessionId(cookie, name);
  if (!id) throw new Error(`no ${name} cookie in ${cookie}`);
  return new Promise<number>((resolve, reject) =>
    stores[rp].get(id, (error, data) => {
      if (error) return reject(error instanceof Error ? error : new Error(String(error)));
      if (!data) return reject(new Error(`no stored session ${id}`));
      resolve(Buffer.byteLength(JSON.stringify(data)));
    }),
  );
}

// The audit trail to pino, as a service would write it (a file, written at once), or off.
let stopAudit: (() => void) | undefined;
function audit({ on }: { on: boolean }) {
  stopAudit?.();
  stopAudit = on ? auditLog(pino(pino.destination({ dest: "/dev/null", sync: true }))) : undefined;
}

serve({
  start: startAll,
  storedBytes,
  audit,
  cpu: () => process.cpuUsage(),
});
