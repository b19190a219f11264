// What an answer of ProConnect may weigh: the middleware's back channel (client.ts) and doctor's reads
// of the same documents (cli/check.ts) refuse the same.
const KB = 1024;

/**
 * The most each back-channel answer may weigh, decompressed. ProConnect's weigh a few KB (the
 * emulator's, on the same oidc-provider: discovery 1.7 KB, JWKS 0.7 KB): the limits leave a hundredfold
 * room for more keys and longer tokens, the userinfo more still as identity providers add claims, and
 * cap what one login makes the process hold at a couple of megabytes, whatever ProConnect sends.
 */
export const BODY_LIMITS = {
  discovery: 256 * KB,
  jwks: 256 * KB,
  token: 256 * KB,
  userinfo: 1024 * KB,
  /** An introspection answer is a few hundred bytes (the emulator's: 0.4 KB plain, 1 KB signed). */
  introspection: 64 * KB,
} as const;
