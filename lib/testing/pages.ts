import { createHash } from "node:crypto";
import type { EmulatorIdentity } from "./options.js";

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => ENTITIES[char] ?? char);
}

/** The pages' one style sheet, inline: the CSP allows it by its hash. */
const STYLE = `
body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#161616;background:#fff}
label{display:block;font-weight:600}input{font:inherit;padding:.5rem;width:100%;box-sizing:border-box;margin:.25rem 0 1rem}
button{font:inherit;padding:.5rem 1rem;background:#000091;color:#fff;border:0;cursor:pointer}
button.secondary{background:#fff;color:#000091;border:1px solid #000091;text-align:left}
a{color:#000091}
:focus-visible{outline:3px solid #0a76f6;outline-offset:2px}
.remember{display:flex;align-items:center;gap:.5rem;margin:0 0 1rem}.remember input{width:auto;margin:0}.remember label{font-weight:400}
.error{color:#ce0500;font-weight:600}ul{list-style:none;padding:0}li{margin:.5rem 0}
.dev-notice{border-left:4px solid #0063cb;background:#e8edff;padding:.5rem 1rem;margin:1rem 0}
.dev-notice p{margin:.5rem 0}.dev-notice__code{font-family:ui-monospace,monospace;font-size:1.5rem;letter-spacing:.1em}
`;

/** The logout page's one script (it submits oidc-provider's confirmation form), allowed by its hash. */
const LOGOUT_SCRIPT = `document.getElementById("op.logoutForm").submit();`;

const sha256 = (text: string) => `'sha256-${createHash("sha256").update(text).digest("base64")}'`;

/**
 * The headers of every answer of the emulator: its pages hold nothing but their own inline style and
 * the logout page's script (oidc-provider adds the hash of any script of its own, as for form_post),
 * and may not be framed.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "content-security-policy": [
    "default-src 'none'",
    `style-src ${sha256(STYLE)}`,
    `script-src ${sha256(LOGOUT_SCRIPT)}`,
    "img-src 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join("; "),
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "permissions-policy": "camera=(), geolocation=(), microphone=(), payment=(), usb=()",
});

/** The emulator's icon, at /favicon.svg and /favicon.ico: ProConnect's blue, « PC ». */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#000091"/><text x="16" y="21" font-family="sans-serif" font-size="13" font-weight="700" fill="#fff" text-anchor="middle">PC</text></svg>`;

interface LayoutOptions {
  /** The page shows an error: its title says so first, as screen readers announce the title. */
  error?: boolean;
  /** The service the person came from: a link back to it. */
  serviceUrl?: string;
}

function layout(title: string, body: string, options: LayoutOptions = {}): string {
  const back = options.serviceUrl
    ? `<p data-back-to-sp-link><a href="${escapeHtml(options.serviceUrl)}">Revenir au service sans me connecter</a></p>`
    : "";
  return `<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.error ? "Erreur – " : ""}${escapeHtml(title)} – ProConnect (émulateur local)</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<style>${STYLE}</style>
</head>
<body>
<header><p><strong>ProConnect</strong> — émulateur local, pour les tests uniquement</p></header>
<main>
${body}
${back}
</main>
</body>
</html>`;
}

/** The origin of the service a login came from (its redirect_uri, already checked), to link back to it. */
export function serviceUrlOf(redirectUri: unknown): string | undefined {
  if (typeof redirectUri !== "string" || !URL.canParse(redirectUri)) return undefined;
  const url = new URL(redirectUri);
  return url.protocol === "https:" || url.protocol === "http:" ? `${url.origin}/` : undefined;
}

export interface LoginPageInput {
  action: string;
  /** The e-mail field's value: the login_hint, else the address this browser remembers. */
  loginHint?: string;
  /** « Mémoriser mon adresse sur cet appareil » ticked: this browser remembers an address. */
  remembered?: boolean;
  identities: readonly EmulatorIdentity[];
  error?: string;
  /** The service the login came from: a link back to it. */
  serviceUrl?: string;
  /**
   * The state ProConnect sent the FI this page stands for (its authorize URL's `state`), shown as the
   * e-mail form's `data-fi-state`: what a test sends /oidc-callback as the FI's answer.
   */
  fiState?: string;
  /** What ProConnect sends the FI besides the OIDC parameters (`sp_id`, `sp_name`, the hints). */
  fiRequest?: Record<string, string>;
}

/**
 * A form field's error: the alert to show, and the field's attributes pointing to it (and to its hint).
 * After an error, the focus is back in the field, which says what is wrong.
 */
function fieldError(errorId: string, error: string | undefined, hintId?: string) {
  const described = [hintId, error ? errorId : undefined].filter(Boolean).join(" ");
  return {
    alert: error ? `<p id="${errorId}" class="error" role="alert">${escapeHtml(error)}</p>` : "",
    attributes: `${error ? ' aria-invalid="true"' : ""}${described ? ` aria-describedby="${described}"` : ""}${error ? " autofocus" : ""}`,
  };
}

/** The FI's debug block (the federation's FI mocks show it): what ProConnect sent it, as JSON. */
function fiRequestDetails(request: Record<string, string>): string {
  return `<details id="fi-request">
<summary>Ce que ProConnect transmet au fournisseur d'identité</summary>
<pre data-fi-request>${escapeHtml(JSON.stringify(request, null, 2))}</pre>
</details>
`;
}

/** The interaction page: an e-mail field (pre-filled from login_hint) and the list of fixture identities. */
export function loginPage({
  action,
  loginHint,
  remembered = false,
  identities,
  error,
  serviceUrl,
  fiState,
  fiRequest,
}: LoginPageInput): string {
  const { alert, attributes: describedBy } = fieldError("email-error", error);
  const choices = identities
    .map(
      (identity) =>
        `<li><button class="secondary" type="submit" name="sub" value="${escapeHtml(identity.sub)}">` +
        `${escapeHtml(identity.email ?? "(sans e-mail)")} — ${escapeHtml(identity.label ?? identity.idp_id)}` +
        `</button></li>`,
    )
    .join("\n");
  return layout(
    "Connexion",
    `<h1>Connexion avec ProConnect</h1>
<form method="post" action="${escapeHtml(action)}"${fiState ? ` data-fi-state="${escapeHtml(fiState)}"` : ""}>
${alert}
<label for="email">Adresse e-mail professionnelle</label>
<input id="email" name="email" type="email" autocomplete="email" required value="${escapeHtml(loginHint ?? "")}"${describedBy}>
<p class="remember"><input id="remember-me" name="rememberMe" type="checkbox" value="true"${remembered ? " checked" : ""}><label for="remember-me">Mémoriser mon adresse sur cet appareil</label></p>
<button type="submit">Se connecter</button>
</form>
${fiRequest ? fiRequestDetails(fiRequest) : ""}
<h2>Identités de test</h2>
<form method="post" action="${escapeHtml(action)}">
<ul>
${choices}
</ul>
</form>`,
    { error: error !== undefined, serviceUrl },
  );
}

export interface EmailCodePageInput {
  action: string;
  /** Where a test reads the code sent (the emulator's stand-in for an inbox). */
  mailbox: string;
  email: string;
  sent: boolean;
  /** The code sent and still valid, shown in the development notice; none once it is blocked. */
  code?: string;
  error?: string;
  /** The service the login came from: a link back to it. */
  serviceUrl?: string;
  /** "Recevoir un nouveau code": where it posts, and when it is enabled (10 minutes after a code). */
  resend?: { action: string; availableAt: number };
}

/**
 * ProConnect's e-mail code page (views/verify-email.ejs): shown when the client asks for MFA and the
 * person's FI cannot do it; ProConnect sends an 8-digit code to the person's address.
 */
export function emailCodePage({
  action,
  mailbox,
  email,
  sent,
  code,
  error,
  serviceUrl,
  resend,
}: EmailCodePageInput): string {
  const { alert, attributes: describedBy } = fieldError("code-error", error, "code-hint");
  return layout(
    "Vérification de l'adresse e-mail",
    `<h1>Confirmer votre adresse e-mail</h1>
<p>Ce service demande une double authentification, que votre fournisseur d'identité ne propose pas encore : ProConnect vous envoie un code à usage unique par e-mail.</p>
${sent ? `<p role="status">Code de vérification envoyé : vérifiez les e-mails envoyés à <strong>${escapeHtml(email)}</strong>.</p>` : ""}
${developmentNotice(email, code)}
<form method="post" action="${escapeHtml(action)}" data-mailbox="${escapeHtml(mailbox)}">
${alert}
<label for="verify_email_token">Code de confirmation</label>
<p id="code-hint">Saisissez le code à 8 chiffres reçu par e-mail.</p>
<input id="verify_email_token" name="verify_email_token" type="text" inputmode="numeric" autocomplete="one-time-code" required pattern="^\\s*(\\d\\s*){8}$"${describedBy}>
<button type="submit">Continuer</button>
</form>
${resend ? resendForm(resend) : ""}`,
    { error: error !== undefined, serviceUrl },
  );
}

/**
 * ProConnect's "Recevoir un nouveau code", disabled until the cooldown is over. Its page enables it with
 * a countdown script; without scripts here, the page says when (reload it then).
 */
function resendForm({ action, availableAt }: { action: string; availableAt: number }): string {
  const waiting = availableAt > Date.now();
  const time = new Date(availableAt).toLocaleTimeString("fr-FR", {
    timeZone: "Europe/Paris",
    hour: "2-digit",
    minute: "2-digit",
  });
  return `<form method="post" action="${escapeHtml(action)}">
<button type="submit" class="secondary"${waiting ? ` disabled aria-describedby="resend-hint"` : ""}>Recevoir un nouveau code</button>
${waiting ? `<p id="resend-hint">Vous pourrez demander un nouveau code à ${escapeHtml(time)} (heure de Paris).</p>` : ""}
</form>`;
}

/**
 * The emulator's own notice, which ProConnect's page has not: no e-mail leaves the emulator, so the
 * code is on the page, where a person developing an app reads it (the CLI and `onEmailCode` give it
 * too). Only this browser's login shows it: the page is behind its ProConnect session.
 */
function developmentNotice(email: string, code: string | undefined): string {
  const shown = code
    ? `<p>Code envoyé à ${escapeHtml(email)} : <strong class="dev-notice__code">${escapeHtml(code)}</strong></p>`
    : `<p>Aucun code valide à afficher : trop de tentatives, ou code expiré.</p>`;
  return `<section class="dev-notice" aria-labelledby="dev-notice-title">
<p id="dev-notice-title"><strong>Émulateur local, pas ProConnect : aucun e-mail n'est envoyé</strong></p>
<p>En production, ProConnect envoie ce code par e-mail à la personne. Pour le développement, l'émulateur l'affiche ici.</p>
${shown}
</section>`;
}

/** ProConnect's error codes, as its own error pages show them. */
export function proconnectErrorCode(error: string, description = ""): string | undefined {
  if (/post_logout_redirect_uri/.test(description)) return "Y030111";
  if (/redirect_uri/.test(description) || error === "invalid_redirect_uri") return "Y030031";
  if (/session|cookie/i.test(description) || error === "session_not_found") return "Y030110";
  if (error === "not_found") return "Y000404";
  if (error === "invalid_request" || error === "invalid_client") return "Y000400";
  return undefined;
}

/** The buttons of ProConnect's error page (views/error.ejs), when the error has them. */
export interface ErrorPageLinks {
  /** "Réessayer de vous connecter": ends the login, sending the error to the client. */
  retryUrl?: string;
  /** "Signaler l'erreur": a `mailto:` link to the support, with the details of the error. */
  contactHref?: string;
}

function errorPageLinks({ retryUrl, contactHref }: ErrorPageLinks): string {
  const contact = contactHref
    ? `\n<p><a href="${escapeHtml(contactHref)}" data-contact-link>Signaler l'erreur</a></p>`
    : "";
  const retry = retryUrl
    ? `\n<p><a href="${escapeHtml(retryUrl)}" data-retry-link>Réessayer de vous connecter</a></p>`
    : "";
  return contact + retry;
}

/**
 * ProConnect's error page (views/error.ejs): a title, its code and its message (the error's
 * description, in English, marked so for screen readers), then oidc-provider's error name for the
 * developer. Tests read `data-error-code`, `data-error-message` and `data-error-title`, as ProConnect's
 * own steps read its `error-code`, `error-message` and `error-section-title`.
 */
export function errorPage(
  error: string,
  description: string,
  code = proconnectErrorCode(error, description),
  serviceUrl?: string,
  title = "Une erreur est survenue",
  links: ErrorPageLinks = {},
) {
  return layout(
    title,
    `<h1 data-error-title="${escapeHtml(title)}">${escapeHtml(title)}</h1>
${code ? `<p>Code d'erreur : <strong data-error-code="${escapeHtml(code)}">${escapeHtml(code)}</strong></p>` : ""}
<p>Message d'erreur : <span lang="en" data-error-message="${escapeHtml(description)}">${escapeHtml(description)}</span></p>
<p>Détail technique : <code lang="en">${escapeHtml(error)}</code></p>${errorPageLinks(links)}`,
    { error: true, serviceUrl },
  );
}

/**
 * ProConnect asks no confirmation on logout: its page submits oidc-provider's confirmation form by itself.
 * The button is there for browsers without JavaScript.
 */
export function logoutPage(form: string): string {
  return layout(
    "Déconnexion",
    `<h1>Déconnexion en cours…</h1>
${form}
<input type="hidden" name="logout" value="yes" form="op.logoutForm">
<noscript><button type="submit" form="op.logoutForm">Se déconnecter</button></noscript>
<script>${LOGOUT_SCRIPT}</script>`,
  );
}

/** ProConnect's postLogoutSuccessSource: its error page's layout, titled « Déconnexion », and one sentence. */
export function loggedOutPage(): string {
  return layout(
    "Déconnexion",
    `<h1>Déconnexion</h1>
<p>Vous êtes bien déconnecté, vous pouvez fermer votre navigateur.</p>`,
  );
}
