import type { JsonWebKey } from "node:crypto";
import { decodeJwt, decodeProtectedHeader, importJWK, SignJWT, type JWK } from "jose";
import type { Adapter } from "oidc-provider";
import type Provider from "oidc-provider";
import type { SigningAlg } from "../algorithms.js";
import { generateSigningKeys } from "./keys.js";
import type { CurrentTamper } from "./provider-config.js";

const JWT_TYPE = "application/jwt; charset=utf-8";

/** The emulator's signing keys, as its public `sign()` and `rotateKeys()` use them. */
export interface Signing {
  sign(
    payload: Record<string, unknown>,
    options: { alg: SigningAlg; clientId?: string },
  ): Promise<string>;
  rotateKeys(): Promise<void>;
}

/**
 * Signs as the emulator does and rotates its keys. oidc-provider keeps the keys it was built with, so
 * after a rotation its id_tokens and userinfo answers are re-signed with the newest key of their
 * algorithm, and its JWKS gets the new public keys in front of the old ones.
 */
export function installSigning(
  provider: Provider,
  keys: readonly JsonWebKey[],
  clients: Adapter,
): Signing {
  // Keys added by rotateKeys(), newest first.
  let rotatedKeys: JsonWebKey[] = [];

  async function resign(jws: string): Promise<string> {
    const alg = decodeProtectedHeader(jws).alg;
    const jwk = rotatedKeys.find((key) => key.alg === alg);
    if (!jwk || alg === undefined) return jws;
    return signWith(jwk, alg, decodeJwt(jws));
  }

  provider.use(async (ctx, next) => {
    await next();
    if (rotatedKeys.length === 0 || ctx.status !== 200) return;
    const body: unknown = ctx.body;
    if (ctx.path === "/token" && isTokenResponse(body)) {
      ctx.body = { ...body, id_token: await resign(body.id_token) };
    } else if (ctx.path === "/userinfo" && typeof body === "string") {
      ctx.body = await resign(body);
      ctx.type = JWT_TYPE;
    } else if (ctx.path === "/jwks" && isJwks(body)) {
      ctx.body = { keys: [...rotatedKeys.map(publicJwk), ...body.keys] };
    }
  });

  return {
    async sign(payload, { alg, clientId }) {
      if (alg === "HS256") {
        const client = clientId === undefined ? undefined : await clients.find(clientId);
        if (typeof client?.client_secret !== "string")
          throw new Error(`sign(): no client ${clientId} for HS256`);
        return new SignJWT(payload)
          .setProtectedHeader({ alg })
          .sign(new TextEncoder().encode(client.client_secret));
      }
      const jwk = [...rotatedKeys, ...keys].find((key) => key.alg === alg);
      if (!jwk) throw new Error(`sign(): the emulator has no ${alg} key`);
      return signWith(jwk, alg, payload);
    },
    async rotateKeys() {
      const fresh = await generateSigningKeys();
      rotatedKeys = [...fresh, ...rotatedKeys];
    },
  };
}

/** The `idToken` and `userinfo` tamper hooks: they replace whole signed answers once oidc-provider has built them. */
export function installSignedAnswerTamper(provider: Provider, tamper: CurrentTamper): void {
  provider.use(async (ctx, next) => {
    await next();
    const hooks = tamper();
    if (!hooks || ctx.status !== 200) return;
    const context = { clientId: ctx.oidc?.client?.clientId ?? "" };
    const body: unknown = ctx.body;
    if (ctx.path === "/token" && hooks.idToken && isTokenResponse(body)) {
      ctx.body = { ...body, id_token: await hooks.idToken(body.id_token, context) };
    } else if (ctx.path === "/userinfo" && hooks.userinfo && typeof body === "string") {
      const replaced = await hooks.userinfo(body, context);
      const { body: text, contentType } =
        typeof replaced === "string" ? { body: replaced, contentType: JWT_TYPE } : replaced;
      ctx.body = text;
      ctx.type = contentType;
    }
  });
}

async function signWith(
  jwk: JsonWebKey,
  alg: string,
  payload: Record<string, unknown>,
): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg, kid: jwk.kid as string })
    .sign(await importJWK(jwk as JWK, alg));
}

function isJwks(body: unknown): body is { keys: JsonWebKey[] } {
  return (
    typeof body === "object" && body !== null && Array.isArray((body as { keys?: unknown }).keys)
  );
}

/** The public half of a private JWK: what a JWKS may show. */
function publicJwk({ d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...rest }: JsonWebKey) {
  return rest;
}

function isTokenResponse(body: unknown): body is { id_token: string } {
  return (
    typeof body === "object" &&
    body !== null &&
    typeof (body as { id_token?: unknown }).id_token === "string"
  );
}
