import { randomBytes, randomInt } from "node:crypto";
import type { Request, Response } from "express";
import type { Adapter } from "oidc-provider";
import type { EmulatorStore } from "./store.js";
import type { EmailCodeSent } from "./options.js";

// ProConnect keeps its own session (cookie `pc_session_id`, 12 hours, config/session.ts) beside
// oidc-provider's, whose cookies it clears on every /authorize: SSO is decided on this session, by
// its interaction controller, not by oidc-provider.

export const SESSION_COOKIE = "pc_session_id";
// An FI request lives as long as the login it is for (oidc-provider's interaction, an hour).
const FI_REQUEST_TTL = 3600;

/** What ProConnect remembers of a login: the person, what the FI answered, the e-mail code step. */
export interface ProConnectSession {
  /** The person's ProConnect account: the `sub` clients get. */
  sub: string;
  /** The FI's own `sub` for the person (the test identity's). */
  idpSub: string;
  /** The acr and amr the FI answered with. */
  idpAcr: string;
  idpAmr: string[];
  /** The amr sent to the client: the FI's, plus `mail` once ProConnect checked a code by e-mail. */
  spAmr: string[];
  /** ProConnect sent a one-time code by e-mail and the person typed it. */
  emailVerified: boolean;
  /** What ProConnect sends the client for this person (after its clean-up). */
  claims: Record<string, unknown>;
}

/** The ProConnect sessions of one emulator, in its store (so they expire and are counted there). */
export class ProConnectSessions {
  readonly #adapter: Adapter;
  readonly #fiRequests: Adapter;
  readonly #ttl: number;

  constructor(store: EmulatorStore, ttl: number) {
    this.#adapter = store.adapterFor("ProConnectSession");
    this.#fiRequests = store.adapterFor("FiRequest");
    this.#ttl = ttl;
  }

  /**
   * The session of this browser, if it has a live one with someone signed in (the server's
   * ActiveUserSessionDto): the one /authorize opens is empty until the FI answers.
   */
  async get(req: Request): Promise<{ id: string; session: ProConnectSession } | undefined> {
    const id = readCookie(req, SESSION_COOKIE);
    if (id === undefined) return undefined;
    const payload = await this.#adapter.find(id);
    return payload && typeof payload.sub === "string"
      ? { id, session: payload as unknown as ProConnectSession }
      : undefined;
  }

  /**
   * ProConnect's session middleware on /authorize: the browser gets a session (`pc_session_id`) from
   * its first authorize request on, signed in or not.
   */
  async ensure(req: Request, res: Response): Promise<string> {
    const id = readCookie(req, SESSION_COOKIE);
    if (id !== undefined && (await this.#adapter.find(id))) return id;
    const created = randomBytes(32).toString("base64url");
    await this.#adapter.upsert(created, {}, this.#ttl);
    this.#setCookie(res, created);
    return created;
  }

  /**
   * The person is sent to an FI (the emulator's login page shows): the session remembers the state
   * ProConnect sent it and the login it is for (its idpState and interactionId), for the FI's answer
   * on /oidc-callback. Returns that state.
   */
  async sendToFi(req: Request, res: Response, uid: string): Promise<string> {
    const id = await this.ensure(req, res);
    const state = randomBytes(32).toString("hex");
    await this.#fiRequests.upsert(id, { fiState: state, interactionUid: uid }, FI_REQUEST_TTL);
    return state;
  }

  /**
   * The FI request of this browser's session, forgotten as it is read (the server sets idpState to
   * null before checking the answer, against replays).
   */
  async takeFiRequest(req: Request): Promise<{ state: string; uid: string } | undefined> {
    const id = readCookie(req, SESSION_COOKIE);
    if (id === undefined) return undefined;
    const request = await this.#fiRequests.find(id);
    if (!request) return undefined;
    await this.#fiRequests.destroy(id);
    return { state: String(request.fiState), uid: String(request.interactionUid) };
  }

  /**
   * A new session for this browser, replacing any other (under a new id, as the server duplicates its
   * session when the FI answers): the previous one is dropped, so that a browser holds one at most.
   */
  async open(res: Response, session: ProConnectSession): Promise<string> {
    const previous = readCookie(res.req, SESSION_COOKIE);
    if (previous !== undefined) await this.#adapter.destroy(previous);
    const id = randomBytes(32).toString("base64url");
    await this.#adapter.upsert(id, { ...session }, this.#ttl);
    this.#setCookie(res, id);
    return id;
  }

  #setCookie(res: Response, id: string): void {
    res.cookie(SESSION_COOKIE, id, {
      httpOnly: true,
      sameSite: "lax",
      path: "/",
      maxAge: this.#ttl * 1000,
    });
  }

  async save(id: string, session: ProConnectSession): Promise<void> {
    await this.#adapter.upsert(id, { ...session }, this.#ttl);
  }

  /** Ends this browser's session (logout, or a login that cannot reuse it). */
  async end(req: Request, res: Response): Promise<void> {
    const id = readCookie(req, SESSION_COOKIE);
    if (id !== undefined) await this.#adapter.destroy(id);
    res.clearCookie(SESSION_COOKIE, { path: "/" });
  }
}

/** The value of a cookie in a request, without a cookie parser. */
export function readCookie(req: Request, name: string): string | undefined {
  for (const pair of (req.headers.cookie ?? "").split(";")) {
    const separator = pair.indexOf("=");
    if (separator > 0 && pair.slice(0, separator).trim() === name) {
      return pair.slice(separator + 1).trim();
    }
  }
  return undefined;
}

// ProConnect's one-time code by e-mail (libs/email-verification, config/email-verification.ts):
// 8 digits, valid an hour, not sent again within 10 minutes, 10 wrong attempts at most.
const CODE_TTL_MS = 60 * 60 * 1000;
const RESEND_COOLDOWN_MS = 10 * 60 * 1000;
export const MAX_CODE_ATTEMPTS = 10;

interface Letter {
  code: string;
  sentAt: number;
  attempts: number;
}

/** The e-mails ProConnect would send: one-time codes, readable by tests instead of an inbox. */
export class Mailbox {
  // One entry per address, of the emulator's finite list of identities: bounded.
  readonly #letters = new Map<string, Letter>();
  /** The host's `onEmailCode`: where the e-mail would go, as it goes. */
  readonly #onSent: ((sent: EmailCodeSent) => void) | undefined;

  constructor(onSent?: (sent: EmailCodeSent) => void) {
    this.#onSent = onSent;
  }

  /**
   * Sends a new code when none is valid, or when the person asks for another (`requested`, the page's
   * "Recevoir un nouveau code") once the cooldown is over (email-verification.service.ts
   * computeShouldSendEmail): showing the page again sends nothing. True when it sent one.
   */
  sendCodeIfNeeded(email: string, requested = false): boolean {
    const last = this.#letters.get(email);
    if (last && Date.now() - last.sentAt < CODE_TTL_MS) {
      if (!requested || Date.now() - last.sentAt < RESEND_COOLDOWN_MS) return false;
    }
    const code = String(randomInt(0, 100_000_000)).padStart(8, "0");
    // The attempts are counted per address (its rate limiter), not per code: a new code keeps them.
    this.#letters.set(email, { code, sentAt: Date.now(), attempts: last?.attempts ?? 0 });
    this.#onSent?.({ email, code });
    return true;
  }

  /** When another code may be asked for (the page's button is disabled until then), in ms since the epoch. */
  resendAt(email: string): number {
    const letter = this.#letters.get(email);
    return (letter?.sentAt ?? Date.now()) + RESEND_COOLDOWN_MS;
  }

  /** The last code sent to `email` and still valid. */
  lastCode(email: string): string | undefined {
    const letter = this.#letters.get(email);
    return letter && Date.now() - letter.sentAt < CODE_TTL_MS ? letter.code : undefined;
  }

  /** The code the person may still type, for the emulator's notice: none once attempts ran out. */
  usableCode(email: string): string | undefined {
    const letter = this.#letters.get(email);
    return letter && letter.attempts >= MAX_CODE_ATTEMPTS ? undefined : this.lastCode(email);
  }

  /** Checks a typed code (spaces ignored): `ok`, `wrong`, or `blocked` after too many attempts. */
  check(email: string, typed: string): "ok" | "wrong" | "blocked" {
    const letter = this.#letters.get(email);
    if (letter && letter.attempts >= MAX_CODE_ATTEMPTS) return "blocked";
    if (letter) letter.attempts++;
    const code = this.lastCode(email);
    if (code === undefined || typed.replace(/\s/g, "") !== code) return "wrong";
    this.#letters.delete(email);
    return "ok";
  }
}
