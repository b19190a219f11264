import { z } from "zod";
import { CLAIM_LIST, type CLAIMS, type ClaimName } from "../claims.js";
import { ACR_VALUES } from "../acr.js";
import { normalizeSiret } from "../siret.js";
import { EMULATOR_SCOPES } from "./claims.js";
import { REDIRECT_URI_PROBLEMS, redirectUriProblems } from "../redirect-uris.js";
import { SIGNING_ALGS } from "../algorithms.js";

// ProConnect matches redirect URIs exactly (a trailing `/` counts) and refuses wildcards.
// The emulator plays the integration platform, which accepts http and localhost.
const registeredUri = z.string().superRefine((uri, ctx) => {
  for (const problem of redirectUriProblems(uri, "integration")) {
    ctx.addIssue({ code: "custom", message: REDIRECT_URI_PROBLEMS[problem] });
  }
});

const publicJwk = z.looseObject({ kty: z.string() }).refine((jwk) => !("d" in jwk), {
  error: "must be a public key: remove the private parts (d, p, q…)",
});

/** A service provider (client) registered on the emulator, as ProConnect's registration form sets it. */
export const emulatorClientSchema = z
  .strictObject({
    clientId: z.string().min(1),
    /** Its name, as ProConnect's error pages and support e-mails give it; the client id by default. */
    name: z.string().min(1).optional(),
    clientSecret: z.string().min(32, "must be at least 32 characters (HS256 signs with it)"),
    redirectUris: z.array(registeredUri).min(1),
    postLogoutRedirectUris: z.array(registeredUri).default([]),
    idTokenSignedResponseAlg: z.enum(SIGNING_ALGS).default("ES256"),
    userinfoSignedResponseAlg: z.enum(SIGNING_ALGS).default("ES256"),
    tokenEndpointAuthMethod: z
      .enum(["client_secret_post", "private_key_jwt"])
      .default("client_secret_post"),
    /** The client's public keys, for `private_key_jwt`. */
    jwks: z.strictObject({ keys: z.array(publicJwk).min(1) }).optional(),
    /**
     * The scopes this client is registered for (ProConnect keeps an allow-list per client): any other
     * scope is answered with `error=invalid_scope`. All of ProConnect's by default.
     */
    scopes: z.array(z.enum(EMULATOR_SCOPES)).min(1).optional(),
    /**
     * A client of the private sector, or restricted by ProConnect to public agents: a person whose
     * `roles` lacks `agent_public` gets ProConnect's Y500015 page (its service-provider `type: "public"`).
     */
    publicAgentsOnly: z.boolean().default(false),
    /**
     * E-mail domains this client accepts (ProConnect's per-client list, used for Uniforces): anyone
     * else gets ProConnect's Y500025 page. Any domain by default.
     */
    allowedEmailDomains: z.array(z.string().min(1)).min(1).optional(),
    /**
     * For a resource server calling the introspection endpoint: its answers are then a JWT signed with
     * this algorithm (`application/token-introspection+jwt`) instead of plain JSON.
     */
    introspectionSignedResponseAlg: z.enum(SIGNING_ALGS).optional(),
    /**
     * `false`: a client ProConnect has deactivated (its service-provider `active: false`). oidc-provider
     * then does not find it: `/authorize` answers 400 with the unknown client's page ("client is
     * invalid"), and its tokens are refused as an unknown client's.
     */
    active: z.boolean().default(true),
  })
  .refine((client) => client.tokenEndpointAuthMethod !== "private_key_jwt" || client.jwks, {
    error: "private_key_jwt needs the client's public keys in `jwks`",
    path: ["jwks"],
  });

export type EmulatorClientInput = z.input<typeof emulatorClientSchema>;
export type EmulatorClient = z.output<typeof emulatorClientSchema>;

const optionalText = z.string().optional();

type UserinfoClaim = {
  [K in ClaimName]: (typeof CLAIMS)[K]["from"] extends "userinfo" ? K : never;
}[ClaimName];

/** The claims an FI sends, from the claims table: any string, since fixtures may be wrong on purpose. */
// ProConnect computes these itself (identity.sanitizer.ts): an FI does not send them.
const COMPUTED = new Set<string>(["idp_id", "custom", "roles", "organization_label", "groups"]);
type ComputedClaim = "idp_id" | "custom" | "roles" | "organization_label" | "groups";

const FI_CLAIMS = Object.fromEntries(
  CLAIM_LIST.filter(({ from, name }) => from === "userinfo" && !COMPUTED.has(name)).map(
    ({ name }) => [name, optionalText],
  ),
) as Record<Exclude<UserinfoClaim, ComputedClaim>, typeof optionalText>;

/**
 * What ProConnect finds of a person's organisation from the SIRET (its cached copy of the
 * organisation's public record): the kind of organisation gives `roles`, the label
 * `organization_label`.
 */
export const ORGANIZATION_KINDS = ["etat", "territoriale", "publique", "privee"] as const;
export type OrganizationKind = (typeof ORGANIZATION_KINDS)[number];

const organizationSchema = z.strictObject({
  /** `etat`, `territoriale`, `publique` (the default) or `privee`. */
  kind: z.enum(ORGANIZATION_KINDS).default("publique"),
  /** Its display name, sent as `organization_label`. */
  label: z.string().min(1).optional(),
});

/**
 * A person as an identity provider (FI) behind ProConnect sends it. Claim names are ProConnect's.
 * Values are what the FI sends, unchecked: fixtures may be wrong on purpose.
 */
export const emulatorIdentitySchema = z.strictObject({
  /** Shown on the emulator's login page. */
  label: z.string().optional(),
  sub: z.string().min(1).max(256),
  idp_id: z.string().min(1),
  /** The acr values this person's login can reach, the usual one first. */
  acr: z.array(z.enum(ACR_VALUES)).min(1).default(["eidas1"]),
  amr: z.array(z.string()).default(["pwd"]),
  ...FI_CLAIMS,
  /** The FI's non-standard attributes: ProConnect sends them in `custom`. */
  custom: z.record(z.string(), z.unknown()).optional(),
  /** Its organisation as ProConnect finds it; a public one without a label by default. */
  organization: organizationSchema.optional(),
  /**
   * Sent as the FI sent it, without ProConnect's clean-up (SIRET, e-mail and phone checks, `custom`):
   * for tests of a client's own checks. The emulator option `raw` does it for every identity.
   */
  raw: z.boolean().optional(),
});

export type EmulatorIdentityInput = z.input<typeof emulatorIdentitySchema>;
export type EmulatorIdentity = z.output<typeof emulatorIdentitySchema>;

/** Where a tamper hook is called: the claims of the id_token or of the userinfo response. */
export type ClaimsUse = "id_token" | "userinfo";

/** What a tamper hook knows of the request it changes. */
export interface TamperContext {
  clientId: string;
}

/** Hooks to make the emulator misbehave on purpose, for tests of a client's error paths. */
export interface EmulatorTamper {
  /** Changes the claims of a person just before they are signed (return the claims to send). */
  claims?: (
    claims: Record<string, unknown>,
    context: TamperContext & { use: ClaimsUse; identity: EmulatorIdentity },
  ) => Record<string, unknown>;
  /** Replaces the signed id_token in the token endpoint's answer (e.g. to forge its signature). */
  idToken?: (idToken: string, context: TamperContext) => string | Promise<string>;
  /** Replaces the userinfo answer (a JWS by default): return a new JWS, or a body and its content type. */
  userinfo?: (jws: string, context: TamperContext) => TamperedBody | Promise<TamperedBody>;
  /**
   * Makes a back-channel endpoint fail before oidc-provider sees the request: return an answer of your
   * own (an HTTP error, HTML, a truncated body), `"hang"` (never answer) or `"reset"` (close the
   * connection); `undefined` lets the request through.
   */
  fault?: (endpoint: BackChannelEndpoint) => EmulatorFault | undefined;
}

/** The endpoints a relying party calls itself, server to server. */
export type BackChannelEndpoint = "discovery" | "jwks" | "token" | "userinfo";

/**
 * How a back-channel endpoint fails: `"hang"`, `"reset"`, or an answer of the test's own making.
 *
 * @example
 * // A gzip bomb: 1 MB that decompresses to 1 GB, 1024 gzip members of 1 MB of zeros one after the other.
 * const member = gzipSync(Buffer.alloc(1 << 20));
 * const fault = { status: 200, body: Buffer.concat(Array(1024).fill(member)), contentEncoding: "gzip" };
 */
export type EmulatorFault =
  | "hang"
  | "reset"
  | {
      status: number;
      /** A string is sent as UTF-8; bytes are sent as they are (a large or compressed body). */
      body: string | Uint8Array;
      /** Defaults to `application/json`. */
      contentType?: string;
      /**
       * Sent as `Content-Encoding` (`gzip`, `br`…): `body` must already be encoded so, the emulator
       * compresses nothing itself.
       */
      contentEncoding?: string;
    };

/** A replacement userinfo: a JWS, or any body with its content type. */
export type TamperedBody = string | { body: string; contentType: string };

const TAMPER_HOOKS = new Set(["claims", "idToken", "userinfo", "fault"]);

const tamperSchema = z.custom<EmulatorTamper>(
  (value) =>
    typeof value === "object" &&
    value !== null &&
    Object.entries(value).every(
      ([key, hook]) => TAMPER_HOOKS.has(key) && typeof hook === "function",
    ),
  { error: "must be an object of functions among claims, idToken and userinfo" },
);

/** A one-time code the emulator "sent" by e-mail (ProConnect's MFA step), as `onEmailCode` gets it. */
export interface EmailCodeSent {
  /** The address ProConnect would send it to. */
  email: string;
  /** The 8 digits, valid an hour, as the person would type them. */
  code: string;
}

export const emulatorOptionsSchema = z.strictObject({
  /** Port to listen on; 0 (the default) picks a free one. */
  port: z.number().int().min(0).max(65535).default(0),
  /** Interface to listen on. The emulator is a test tool: keep it on the loopback. */
  host: z.string().min(1).default("127.0.0.1"),
  /**
   * The URL clients reach the emulator at, when it is not the address it listens on: a compose
   * service (`http://proconnect:4000`), a reverse proxy, HTTPS in front. The issuer is then
   * `publicUrl` + `/api/v2`; the endpoints follow each request's `Host`, and `X-Forwarded-Proto` and
   * `X-Forwarded-Host` from a proxy are trusted.
   */
  publicUrl: z
    .url({ protocol: /^https?$/, error: "must be an absolute http:// or https:// URL" })
    .refine((url) => {
      // Only for an http(s) URL: anything else has had its message from the check above.
      const parsed = URL.canParse(url) ? new URL(url) : undefined;
      if (!parsed || !/^https?:$/.test(parsed.protocol)) return true;
      const { pathname, search, hash } = parsed;
      return (pathname === "/" || pathname === "") && !search && !hash;
    }, "must be an origin, without a path, a query or a fragment (the issuer adds /api/v2)")
    .optional(),
  /**
   * Enforce ProConnect's documented authorize rules (state and nonce of 32+ characters, any unknown
   * parameter refused with Y000400) instead of its server's laxer behaviour.
   */
  strict: z.boolean().default(false),
  /**
   * How the parameters of a redirect to a client (its callback, in the query or the fragment, and the
   * logout's return) are encoded. `"percent"` (the default), as ProConnect's server writes them: it runs
   * oidc-provider 7, whose Node.js querystring encodes a space as `%20` and keeps `!'()*` as they are
   * (`error_description=End-User%20authentication%20is%20required`). `"form"`: oidc-provider 9's own
   * `application/x-www-form-urlencoded`, a space as `+`. Both decode to the same values.
   */
  redirectEncoding: z.enum(["percent", "form"]).default("percent"),
  clients: z.array(emulatorClientSchema).default([]),
  /**
   * Send every identity as its FI sent it, without ProConnect's clean-up (identity.sanitizer.ts): no
   * SIRET, e-mail or phone checks, no substitution, `custom` only when the FI has one. For robustness
   * tests of a client. Identities marked `raw` are sent so whatever this says.
   */
  raw: z.boolean().default(false),
  /**
   * The network ProConnect runs on: on the RIE it does not look organisations up, so `roles` is always
   * `["agent_public"]` and `organization_label` is never sent.
   */
  network: z.enum(["internet", "rie"]).default("internet"),
  /**
   * The identity providers (FI), by `idp_id`, beyond those of the identities: `defaultSiret` replaces an
   * invalid SIRET from that FI (without one, ProConnect refuses the login with Y500006). An `idp_hint`
   * naming no FI is answered with `error=idp_hint_not_found`.
   */
  identityProviders: z
    .record(
      z.string().min(1),
      z.strictObject({
        defaultSiret: z
          .string()
          .refine((siret) => normalizeSiret(siret) === siret, "must be a valid SIRET of 14 digits")
          .optional(),
        /**
         * The acr this FI answers with, whatever was asked: an FI with acr values of its own (some of
         * the Fonction publique territoriale's) or one that always answers `eidas3`. ProConnect keeps
         * it as `idp_acr` and, when it does not know it, treats the login as `eidas1`
         * (oidc-acr.service.ts). By default the FI answers the first acr asked that the person can reach.
         */
        acr: z.string().min(1).optional(),
        /** Its name on ProConnect's error pages and in their support e-mail; the `idp_id` by default. */
        name: z.string().min(1).optional(),
        /**
         * How it answers when a person is sent to it: `disabled` in ProConnect's settings (Y020017, "Accès
         * indisponible"), `unreachable` (its discovery fails: Y020031), or with an OAuth `error` to
         * ProConnect's callback (Y020032). Up by default.
         */
        status: z.enum(["up", "disabled", "unreachable"]).default("up"),
        error: z
          .strictObject({ error: z.string().min(1), error_description: z.string().optional() })
          .optional(),
      }),
    )
    .default({}),
  /**
   * ProConnect's accounts that exist before the emulator starts (its `accountFca` collection): each
   * with the `sub` clients get, and the FI logins (`idp_id`, the FI's `sub`, the e-mail it sent) that
   * lead to it. Any other login finds its account by (`idp_id`, FI `sub`), or by e-mail from a login at
   * the default FI (`defaultIdpId`), or gets a new one.
   */
  accounts: z
    .array(
      z.strictObject({
        sub: z.string().min(1).max(256),
        identities: z
          .array(
            z.strictObject({
              idp_id: z.string().min(1),
              sub: z.string().min(1),
              email: z.string().optional(),
            }),
          )
          .min(1),
        /** `false`: blocked by ProConnect's operators, its logins end on the Y500024 page. */
        active: z.boolean().default(true),
      }),
    )
    .default([]),
  /**
   * The default FI (the server's `defaultIdpId`, ProConnect Identité): a login at any other FI joins
   * the account of a login there with the same e-mail, case aside.
   */
  defaultIdpId: z.string().min(1).default("proconnect-identite"),
  identities: z
    .array(emulatorIdentitySchema)
    .min(1)
    .refine(
      (ids) => new Set(ids.map((id) => id.sub)).size === ids.length,
      "each `sub` must be unique",
    )
    .optional(),
  tamper: tamperSchema.optional(),
  /**
   * Called each time the emulator sends ProConnect's one-time code by e-mail (its MFA step, for a person
   * whose FI cannot do MFA), with the address and the code: the emulator sends no e-mail, so this is
   * where its host shows the code (`proconnect-express emulator` and `npm start` print it). Called
   * before the code page is answered; what it throws fails that page. The code is never logged otherwise.
   */
  onEmailCode: z
    .custom<(sent: EmailCodeSent) => void>((value) => typeof value === "function", {
      error: "must be a function",
    })
    .optional(),
  /**
   * Lifetimes in seconds, by default those of ProConnect's server (oidc-provider-config.service.ts):
   * oidc-provider's defaults for the code (600 s), access token and id_token (an hour); the session's
   * 12 hours for the ProConnect session and the refresh token.
   */
  ttl: z
    .strictObject({
      authorizationCode: z.number().int().positive().default(600),
      accessToken: z.number().int().positive().default(3600),
      idToken: z.number().int().positive().default(3600),
      refreshToken: z
        .number()
        .int()
        .positive()
        .default(12 * 3600),
      session: z
        .number()
        .int()
        .positive()
        .default(12 * 3600),
    })
    .default({
      authorizationCode: 600,
      accessToken: 3600,
      idToken: 3600,
      refreshToken: 12 * 3600,
      session: 12 * 3600,
    }),
});

export type EmulatorOptions = z.input<typeof emulatorOptionsSchema>;
export type ResolvedEmulatorOptions = z.output<typeof emulatorOptionsSchema>;
