// Child process: one relying party under test, on its own port with its own client registration; the
// benchmark starts one such process per relying party. The protected-route comparison has processes of
// its own (route-pair.ts).
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
  /** Base URL and client registration of the relying party. */
  url: string;
  client: EmulatorClientInput;
}

const sessionSecret = randomBytes(32).toString("base64url");
const store = new MemoryStore();
let started: RpName | undefined;

/** Starts `rp` alone in this process: its CPU is then its own, not the others' garbage collections. */
async function startOne({ issuer, rp }: { issuer: string; rp: RpName }): Promise<Started> {
  const common = { issuer, clientSecret: CLIENT_SECRET, sessionSecret };
  const server = await listen();
  const callback = rp === "official" ? official.CALLBACK_PATH : "/callback";
  const client = registration(rp, server.url, callback);
  const options = { ...common, baseUrl: server.url, clientId: client.clientId, store };
  server.server.on(
    "request",
    rp === "proconnect"
      ? ours.proconnectApp(options)
      : rp === "official"
        ? official.officialStyleApp(options)
        : eocApp(options),
  );
  started = rp;
  return { url: server.url, client };
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
function storedBytes({ cookie }: { cookie: string }) {
  const name = started === "proconnect" ? ours.SESSION_COOKIE : official.SESSION_COOKIE;
  const id = sessionId(cookie, name);
  if (!id) throw new Error(`no ${name} cookie in ${cookie}`);
  return new Promise<number>((resolve, reject) =>
    store.get(id, (error, data) => {
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
  start: startOne,
  storedBytes,
  audit,
  cpu: () => process.cpuUsage(),
});
