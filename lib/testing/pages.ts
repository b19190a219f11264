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

function layout(title: string, body: string, head = ""): string {
  return `<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} – ProConnect (émulateur local)</title>
<style>
body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#161616}
label{display:block;font-weight:600}input{font:inherit;padding:.5rem;width:100%;box-sizing:border-box;margin:.25rem 0 1rem}
button{font:inherit;padding:.5rem 1rem;background:#000091;color:#fff;border:0;cursor:pointer}
button.secondary{background:#fff;color:#000091;border:1px solid #000091;text-align:left}
:focus-visible{outline:3px solid #0a76f6;outline-offset:2px}
.error{color:#ce0500;font-weight:600}ul{list-style:none;padding:0}li{margin:.5rem 0}
</style>
${head}</head>
<body>
<header><p><strong>ProConnect</strong> — émulateur local, pour les tests uniquement</p></header>
<main>
${body}
</main>
</body>
</html>`;
}

export interface LoginPageInput {
  action: string;
  loginHint?: string;
  identities: readonly EmulatorIdentity[];
  error?: string;
}

/** The interaction page: an e-mail field (pre-filled from login_hint) and the list of fixture identities. */
export function loginPage({ action, loginHint, identities, error }: LoginPageInput): string {
  const errorId = "email-error";
  const alert = error
    ? `<p id="${errorId}" class="error" role="alert">${escapeHtml(error)}</p>`
    : "";
  const describedBy = error ? ` aria-invalid="true" aria-describedby="${errorId}"` : "";
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
<form method="post" action="${escapeHtml(action)}">
${alert}
<label for="email">Adresse e-mail professionnelle</label>
<input id="email" name="email" type="email" autocomplete="email" required value="${escapeHtml(loginHint ?? "")}"${describedBy}>
<button type="submit">Se connecter</button>
</form>
<h2>Identités de test</h2>
<form method="post" action="${escapeHtml(action)}">
<ul>
${choices}
</ul>
</form>`,
  );
}

export interface EmailCodePageInput {
  action: string;
  /** Where a test reads the code sent (the emulator's stand-in for an inbox). */
  mailbox: string;
  email: string;
  sent: boolean;
  error?: string;
}

/**
 * ProConnect's e-mail code page (views/verify-email.ejs): shown when the client asks for MFA and the
 * person's FI cannot do it; ProConnect sends an 8-digit code to the person's address.
 */
export function emailCodePage({ action, mailbox, email, sent, error }: EmailCodePageInput): string {
  const errorId = "code-error";
  const alert = error
    ? `<p id="${errorId}" class="error" role="alert">${escapeHtml(error)}</p>`
    : "";
  const describedBy = error
    ? ` aria-invalid="true" aria-describedby="code-hint ${errorId}"`
    : ` aria-describedby="code-hint"`;
  return layout(
    "Vérification de l'adresse e-mail",
    `<h1>Confirmer votre adresse e-mail</h1>
<p>Ce service demande une double authentification, que votre fournisseur d'identité ne propose pas encore : ProConnect vous envoie un code à usage unique par e-mail.</p>
${sent ? `<p role="status">Code de vérification envoyé : vérifiez les e-mails envoyés à <strong>${escapeHtml(email)}</strong>.</p>` : ""}
<form method="post" action="${escapeHtml(action)}" data-mailbox="${escapeHtml(mailbox)}">
${alert}
<label for="verify_email_token">Code de confirmation</label>
<p id="code-hint">Saisissez le code à 8 chiffres reçu par e-mail.</p>
<input id="verify_email_token" name="verify_email_token" type="text" inputmode="numeric" autocomplete="one-time-code" required pattern="^\\s*(\\d\\s*){8}$"${describedBy}>
<button type="submit">Continuer</button>
</form>`,
  );
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

export function errorPage(
  error: string,
  description: string,
  code = proconnectErrorCode(error, description),
) {
  return layout(
    "Erreur",
    `<h1>Une erreur est survenue</h1>
${code ? `<p>Code d'erreur : <strong data-error-code="${escapeHtml(code)}">${escapeHtml(code)}</strong></p>` : ""}
<p><code>${escapeHtml(error)}</code> : ${escapeHtml(description)}</p>`,
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
<script>document.getElementById("op.logoutForm").submit();</script>`,
  );
}

export function loggedOutPage(): string {
  return layout("Déconnecté", `<h1>Vous êtes déconnecté de ProConnect</h1>`);
}
