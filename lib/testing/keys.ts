import { generateKeyPair, randomUUID, type JsonWebKey } from "node:crypto";
import { promisify } from "node:util";

const generate = promisify(generateKeyPair);

/** A fresh signing key set (ES256 and RS256) for one emulator, so that two emulators never trust each other. */
export async function generateSigningKeys(): Promise<JsonWebKey[]> {
  const [ec, rsa] = await Promise.all([
    generate("ec", { namedCurve: "P-256" }),
    generate("rsa", { modulusLength: 2048 }),
  ]);
  return [
    { ...ec.privateKey.export({ format: "jwk" }), kid: randomUUID(), alg: "ES256", use: "sig" },
    { ...rsa.privateKey.export({ format: "jwk" }), kid: randomUUID(), alg: "RS256", use: "sig" },
  ];
}
