import type { Request, Response } from "express";
import { PREFIX } from "./paths.js";
import { readCookie } from "./pc-session.js";

// ProConnect's e-mail page remembers the address in the browser's localStorage (`proConnectEmail`, its
// script public/js/email-fca.js): « Mémoriser mon adresse sur cet appareil » keeps it, unchecked drops
// it, and the page shows it next time. The emulator's page has no script: a cookie sent to its login
// pages alone keeps it instead, as long-lived as a browser allows.
const REMEMBER_COOKIE = "pc_remembered_email";
const PATH = `${PREFIX}/interaction`;
const MAX_AGE_MS = 400 * 24 * 3600 * 1000;

/** The address this browser remembers, if any. */
export function rememberedEmail(req: Request): string | undefined {
  const value = readCookie(req, REMEMBER_COOKIE);
  if (value === undefined || value === "") return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/** Remembers `email`, or with `undefined` forgets the address. */
export function rememberEmail(res: Response, email: string | undefined): void {
  if (email === undefined) {
    res.clearCookie(REMEMBER_COOKIE, { path: PATH });
    return;
  }
  res.cookie(REMEMBER_COOKIE, encodeURIComponent(email), {
    httpOnly: true,
    sameSite: "lax",
    path: PATH,
    maxAge: MAX_AGE_MS,
    encode: String,
  });
}
