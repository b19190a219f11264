// Child process: the local ProConnect (strict emulator), alone in its process like the real provider.
import { startProConnectEmulator, type EmulatorClientInput } from "../lib/testing/index.js";
import { serve } from "./ipc.js";

const emulator = await startProConnectEmulator({ strict: true }); // ProConnect's documented rules

/** The same JWS with one character of its signature changed: well-formed, genuinely signed claims, bad signature. */
function forged(jws: string): string {
  const [header = "", payload = "", signature = ""] = jws.split(".");
  const flipped = signature[10] === "A" ? "B" : "A";
  return `${header}.${payload}.${signature.slice(0, 10)}${flipped}${signature.slice(11)}`;
}

serve({
  info: () => ({ issuer: emulator.issuer, url: emulator.url }),
  register: (client: EmulatorClientInput) => {
    emulator.registerClient(client);
    return null;
  },
  counts: () => emulator.requestCounts(),
  cpu: () => process.cpuUsage(),
  /** Makes the next answers carry a forged signature on the id_token or the userinfo (or neither). */
  forge: (what: "id_token" | "userinfo" | null) => {
    if (what === "id_token") emulator.setTamper({ idToken: forged });
    else if (what === "userinfo") emulator.setTamper({ userinfo: forged });
    else emulator.setTamper(undefined);
    return null;
  },
});
