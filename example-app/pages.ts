import type { ProConnectErrorCode, ProConnectUser } from "proconnect-express";
import { DSFR_URL } from "./assets.js";
import type { ErrorMessage } from "./error-messages.js";
import { html, type Html } from "./html.js";

const SERVICE = "Exemple ProConnect";

/** What every page needs to know about the request. */
export interface PageContext {
  user: ProConnectUser | undefined;
  /** Set when ProConnect is the local emulator: shown in a banner with the test account. */
  emulatorUrl: string | undefined;
  /** The example's API part is configured: the home page links to it. */
  apiEnabled?: boolean;
  /** The URL of the pages' one stylesheet (`/static/site.<hash>.css`). */
  stylesheet: string;
}

/** What search engines show under the title, unless a page says more precisely. */
const DESCRIPTION =
  "Service d'exemple : les professionnels s'y connectent avec ProConnect, le compte de leur administration ou de leur entreprise, grâce à proconnect-express.";

function displayName(user: ProConnectUser): string {
  return [user.given_name, user.usual_name].filter(Boolean).join(" ") || user.email || user.sub;
}

/** The logout button: a POST, so that a link on another site cannot sign people out. */
function logoutForm(buttonClass: string): Html {
  return html`<form method="post" action="/logout">
  <button type="submit" class="${buttonClass}">Se déconnecter</button>
</form>`;
}

function header(context: PageContext): Html {
  const tools = context.user
    ? html`<ul class="fr-btns-group">
            <li><a class="fr-btn fr-icon-account-circle-line" href="/profil">Mon profil</a></li>
            <li>${logoutForm("fr-btn fr-icon-logout-box-r-line")}</li>
          </ul>`
    : undefined;
  // The DSFR copies the tools into the mobile menu: without tools, no « Menu » button to open it empty.
  const menuButton = tools
    ? html`<div class="fr-header__navbar">
              <button class="fr-btn--menu fr-btn" data-fr-opened="false" aria-controls="menu" id="menu-button" title="Menu" type="button">Menu</button>
            </div>`
    : html``;
  // The menu itself stays for the DSFR's header script, which copies the tools into it; with no
  // button, nothing opens it.
  const menu = html`<div class="fr-header__menu fr-modal" id="menu"${tools ? html` aria-labelledby="menu-button"` : html``}>
    <div class="fr-container">
      <button class="fr-btn--close fr-btn" aria-controls="menu" title="Fermer" type="button">Fermer</button>
      <div class="fr-header__menu-links"></div>
    </div>
  </div>`;
  return html`<header role="banner" class="fr-header">
  <div class="fr-header__body">
    <div class="fr-container">
      <div class="fr-header__body-row">
        <div class="fr-header__brand fr-enlarge-link">
          <div class="fr-header__brand-top">
            <div class="fr-header__logo"><p class="fr-logo">République<br>Française</p></div>
            ${menuButton}
          </div>
          <div class="fr-header__service">
            <a href="/" title="Accueil – ${SERVICE}"><p class="fr-header__service-title">${SERVICE}</p></a>
            <p class="fr-header__service-tagline">Se connecter avec ProConnect grâce à proconnect-express</p>
          </div>
        </div>
        <div class="fr-header__tools">
          <div class="fr-header__tools-links">
          ${tools}
          </div>
        </div>
      </div>
    </div>
  </div>
  ${menu}
</header>`;
}

function emulatorNotice(context: PageContext): Html {
  if (context.emulatorUrl === undefined) return html``;
  // A named region: a landmark of its own, announced as « Démonstration locale ».
  return html`<section class="fr-notice fr-notice--info" aria-label="Démonstration locale">
  <div class="fr-container">
    <div class="fr-notice__body">
      <p>
        <span class="fr-notice__title">Démonstration locale :</span>
        <span class="fr-notice__desc">ProConnect est simulé par l'émulateur de proconnect-express
          (<a href="${context.emulatorUrl}/.well-known/openid-configuration">${context.emulatorUrl}</a>).
          Compte de test : <strong>test@fia1.fr</strong>.</span>
      </p>
    </div>
  </div>
</section>`;
}

/** The footer's legal part: the accessibility mention and the pages every public site must have. */
function footerBottom(): Html {
  return html`<div class="fr-footer__bottom">
      <ul class="fr-footer__bottom-list">
        <li class="fr-footer__bottom-item"><a class="fr-footer__bottom-link" href="/accessibilite">Accessibilité : non conforme</a></li>
        <li class="fr-footer__bottom-item"><a class="fr-footer__bottom-link" href="/mentions-legales">Mentions légales</a></li>
        <li class="fr-footer__bottom-item"><a class="fr-footer__bottom-link" href="/donnees-personnelles">Données personnelles et cookies</a></li>
      </ul>
      <div class="fr-footer__bottom-copy">
        <p>Le code de cette application d'exemple est publié sous licence MIT, avec proconnect-express.</p>
      </div>
    </div>`;
}

function layout(
  title: string,
  context: PageContext,
  main: Html,
  description: string = DESCRIPTION,
): string {
  return html`<!doctype html>
<html lang="fr" data-fr-scheme="system">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} – ${SERVICE}</title>
<meta name="description" content="${description}">
<meta name="theme-color" content="#000091">
<link rel="preload" href="${DSFR_URL}/fonts/Marianne-Regular.woff2" as="font" type="font/woff2" crossorigin>
<link rel="preload" href="${DSFR_URL}/fonts/Marianne-Bold.woff2" as="font" type="font/woff2" crossorigin>
<link rel="stylesheet" href="${context.stylesheet}">
<link rel="icon" href="/favicon.ico" sizes="any">
<link rel="icon" href="${DSFR_URL}/favicon/favicon.svg" type="image/svg+xml">
<link rel="apple-touch-icon" href="${DSFR_URL}/favicon/apple-touch-icon.png">
</head>
<body>
<div class="fr-skiplinks">
  <nav class="fr-container" role="navigation" aria-label="Accès rapide">
    <ul class="fr-skiplinks__list">
      <li><a class="fr-link" href="#contenu">Contenu</a></li>
      <li><a class="fr-link" href="#pied-de-page">Pied de page</a></li>
    </ul>
  </nav>
</div>
${header(context)}
${emulatorNotice(context)}
<main id="contenu" role="main" tabindex="-1" class="fr-container fr-my-6w">
${main}
</main>
<footer class="fr-footer" role="contentinfo" id="pied-de-page">
  <div class="fr-container">
    <div class="fr-footer__body">
      <div class="fr-footer__brand fr-enlarge-link">
        <a href="/" title="Retour à l'accueil – ${SERVICE}"><p class="fr-logo">République<br>Française</p></a>
      </div>
      <div class="fr-footer__content">
        <p class="fr-footer__content-desc">Application d'exemple de proconnect-express : le code à reprendre pour connecter un service Express à ProConnect.</p>
        <ul class="fr-footer__content-list">
          <li class="fr-footer__content-item"><a class="fr-footer__content-link" href="https://www.proconnect.gouv.fr/" target="_blank" rel="noopener" title="proconnect.gouv.fr – nouvelle fenêtre">proconnect.gouv.fr</a></li>
        </ul>
      </div>
    </div>
    ${footerBottom()}
  </div>
</footer>
<script type="module" src="${DSFR_URL}/dsfr.module.min.js"></script>
<script nomodule src="${DSFR_URL}/dsfr.nomodule.min.js"></script>
</body>
</html>
`.value;
}

/**
 * ProConnect's button as its documentation asks for it (the DSFR "connect" component, ProConnect variant)
 * and the "Qu'est-ce que ProConnect ?" link, opening in a new window.
 */
function proconnectButton(): Html {
  return html`<div class="fr-connect-group">
  <form method="get" action="/login">
    <button type="submit" class="fr-connect fr-connect--pro">
      <span class="fr-connect__login">S’identifier avec</span>
      <span class="fr-connect__brand">ProConnect</span>
    </button>
  </form>
  <p>
    <a href="https://www.proconnect.gouv.fr/" target="_blank" rel="noopener" title="Qu’est-ce que ProConnect ? – nouvelle fenêtre">Qu’est-ce que ProConnect ?</a>
  </p>
</div>`;
}

export function homePage(context: PageContext): string {
  const { user } = context;
  if (!user) {
    return layout(
      "Accueil",
      context,
      html`<h1>Bienvenue sur le service d'exemple</h1>
<p class="fr-text--lead">Les professionnels s'y connectent avec ProConnect : le compte de leur administration ou de leur entreprise, sans nouveau mot de passe.</p>
<h2 class="fr-h4">Se connecter</h2>
${proconnectButton()}`,
    );
  }
  return layout(
    "Accueil",
    context,
    html`<h1>Bonjour ${displayName(user)}</h1>
<p class="fr-text--lead">Vous êtes connecté avec ProConnect, par le fournisseur d'identité <strong>${user.idp_id}</strong>, pour l'établissement dont le SIRET est <strong>${user.siret}</strong>.</p>
<ul class="fr-links-group">
  <li><a class="fr-link fr-icon-arrow-right-line fr-link--icon-right" href="/profil">Mon profil : ce que ProConnect a transmis</a></li>
  <li><a class="fr-link fr-icon-arrow-right-line fr-link--icon-right" href="/securise">Espace sécurisé : une page qui exige la double authentification</a></li>
  <li><a class="fr-link fr-icon-arrow-right-line fr-link--icon-right" href="/dirigeant">Espace dirigeant : une page qui exige la certification dirigeant</a></li>
  <li><a class="fr-link fr-icon-arrow-right-line fr-link--icon-right" href="/api/me">/api/me : le même utilisateur, côté API (JSON)</a></li>
  ${context.apiEnabled ? html`<li><a class="fr-link fr-icon-arrow-right-line fr-link--icon-right" href="/documents">Mes documents : une API appelée en votre nom avec votre jeton d'accès</a></li>` : html``}
</ul>
${logoutForm("fr-btn fr-btn--secondary fr-mt-4w")}`,
  );
}

/** The profile table: every field ProConnect can send, in this order, with what it is. */
const PROFILE_FIELDS: readonly (readonly [keyof ProConnectUser, string])[] = [
  ["sub", "Identifiant ProConnect de la personne"],
  ["idp_id", "Fournisseur d'identité utilisé"],
  ["siret", "SIRET de l'établissement"],
  ["siren", "SIREN de l'entreprise ou de l'administration"],
  ["email", "Adresse e-mail professionnelle"],
  ["given_name", "Prénoms"],
  ["usual_name", "Nom d'usage"],
  ["uid", "Identifiant chez le fournisseur d'identité"],
  ["organizational_unit", "Service ou unité"],
  ["belonging_population", "Population d'appartenance"],
  ["phone_number", "Téléphone professionnel"],
  ["chorusdt", "Chorus DT (matricule, société)"],
  ["acr", "Niveau de garantie de cette connexion"],
  ["amr", "Méthodes d'authentification utilisées"],
  ["idp_acr", "Niveau de garantie donné par le fournisseur d'identité"],
  ["custom", "Attributs propres au fournisseur d'identité"],
];

function fieldValue(value: unknown): Html {
  if (value === undefined) return html`<span class="fr-hint-text">non transmis</span>`;
  if (Array.isArray(value)) return html`${value.join(", ")}`;
  if (typeof value === "object" && value !== null)
    return html`<code>${JSON.stringify(value)}</code>`;
  return html`${String(value)}`;
}

export function profilePage(context: PageContext & { user: ProConnectUser }): string {
  const user: Record<string, unknown> = { ...context.user };
  const known = new Set<string>(PROFILE_FIELDS.map(([key]) => key));
  // Fields an app adds in onLogin (its own account id…) are shown too, after ProConnect's.
  const rows: (readonly [string, string])[] = [
    ...PROFILE_FIELDS,
    ...Object.keys(user)
      .filter((key) => !known.has(key))
      .map((key) => [key, "Ajouté par l'application"] as const),
  ];
  return layout(
    "Mon profil",
    context,
    html`<h1>Mon profil</h1>
<p class="fr-text--lead">Ce que ProConnect a transmis à ce service, vérifié et normalisé par proconnect-express (<code>req.proconnectUser</code>).</p>
<div class="fr-callout">
  <h2 class="fr-callout__title fr-h5">Quel champ utiliser pour reconnaître la personne ?</h2>
  <p class="fr-callout__text fr-text--md"><strong><code>sub</code></strong> : pour rattacher la personne à un compte de votre service. ProConnect lui donne le même <code>sub</code> à chaque connexion par le même fournisseur d'identité. N'utilisez pas l'adresse e-mail, qui peut changer.</p>
  <p class="fr-callout__text fr-text--md"><strong><code>idp_id</code></strong> : le fournisseur d'identité qui a authentifié la personne (son administration, son entreprise…). Si elle se connecte un jour par un autre fournisseur, elle aura un autre <code>sub</code> : c'est à votre service de décider s'il s'agit du même compte.</p>
</div>
${wrappingTable(
  "Informations transmises par ProConnect",
  html`<thead><tr><th scope="col">Information (champ)</th><th scope="col">Valeur</th></tr></thead>
          <tbody>
${rows.map(
  ([
    key,
    label,
  ]) => html`            <tr data-field="${key}"><th scope="row">${label}<br><code>${key}</code></th><td>${fieldValue(user[key])}</td></tr>
`,
)}          </tbody>`,
  "fr-mt-4w",
)}
<p><a class="fr-link fr-icon-arrow-left-line fr-link--icon-left" href="/">Retour à l'accueil</a></p>`,
  );
}

/**
 * A DSFR table whose cells wrap (app.css): two columns fit a 320 px screen, so nothing scrolls
 * sideways out of a keyboard's reach, and long values (a 64-character `sub`) break.
 */
function wrappingTable(caption: string, rows: Html, spacing = ""): Html {
  return html`<div class="fr-table fr-table--wrap ${spacing}">
  <div class="fr-table__wrapper">
    <div class="fr-table__container">
      <div class="fr-table__content">
        <table>
          <caption>${caption}</caption>
          ${rows}
        </table>
      </div>
    </div>
  </div>
</div>`;
}

/** What the example's API answered, called server-side with the person's access token. */
export interface DocumentsAnswer {
  sub: string;
  client_id: string;
  scopes: readonly string[];
  documents: readonly { title: string; updated: string }[];
}

export function documentsPage(context: PageContext & { answer: DocumentsAnswer }): string {
  const { answer } = context;
  return layout(
    "Mes documents",
    context,
    html`<h1>Mes documents</h1>
<p class="fr-text--lead">Cette page a appelé l'API du service (un serveur de ressources ProConnect, avec son propre client ProConnect) en votre nom, avec votre jeton d'accès ProConnect.</p>
<p>Le service obtient le jeton par <code>auth.getAccessToken(req)</code> (renouvelé avec le jeton de rafraîchissement quand il expire) ; l'API le vérifie auprès de ProConnect par <code>requireBearer()</code> (introspection).</p>
<ul class="fr-mb-4w" data-api-answer>
  ${answer.documents.map((document) => html`<li><strong>${document.title}</strong>, mis à jour le ${document.updated}</li>`)}
</ul>
${wrappingTable(
  "Ce que ProConnect a dit du jeton à l'API",
  html`<tbody>
    <tr><th scope="row"><code>sub</code></th><td data-api-sub>${answer.sub}</td></tr>
    <tr><th scope="row"><code>client_id</code></th><td>${answer.client_id}</td></tr>
    <tr><th scope="row"><code>scope</code></th><td>${answer.scopes.join(" ")}</td></tr>
  </tbody>`,
)}
<p><a class="fr-link fr-icon-arrow-left-line fr-link--icon-left" href="/">Retour à l'accueil</a></p>`,
  );
}

export function dirigeantPage(context: PageContext & { user: ProConnectUser }): string {
  const { user } = context;
  return layout(
    "Espace dirigeant",
    context,
    html`<h1>Espace dirigeant</h1>
<p class="fr-text--lead">ProConnect certifie que vous dirigez l'entreprise dont le SIREN est <strong>${user.siren ?? user.siret.slice(0, 9)}</strong>.</p>
<p>Cette page est protégée par <code>requireAuth({ acr: CERTIFICATION_DIRIGEANT })</code> : une session d'un niveau plus faible repasse par ProConnect en demandant ce niveau de garantie (<code>${user.acr}</code>). Si le fournisseur d'identité ne peut pas l'offrir, ProConnect refuse la connexion (<code>access_denied</code>).</p>
<p><a class="fr-link fr-icon-arrow-left-line fr-link--icon-left" href="/">Retour à l'accueil</a></p>`,
  );
}

/** How the person proved it was them, in words (ProConnect's `amr` values). */
const AMR_WORDS: Readonly<Record<string, string>> = {
  pwd: "mot de passe",
  mail: "code reçu par e-mail",
  otp: "code à usage unique",
  totp: "application d'authentification",
  pop: "clé de sécurité ou carte",
  mfa: "plusieurs facteurs",
};

export function mfaPage(context: PageContext & { user: ProConnectUser }): string {
  const { user } = context;
  const methods = (user.amr ?? []).map((method) => AMR_WORDS[method] ?? method).join(", ");
  return layout(
    "Espace sécurisé",
    context,
    html`<h1>Espace sécurisé</h1>
<p class="fr-text--lead">Vous vous êtes connecté avec une double authentification${methods ? html` (${methods})` : html``} : niveau <strong>${user.acr ?? "inconnu"}</strong>.</p>
<p>L'État demande une authentification à plusieurs facteurs sur ses systèmes d'information : au plus tard le 28 février 2027 pour les systèmes sensibles, le 28 février 2028 pour tous. Avec ProConnect, si votre fournisseur d'identité ne propose pas de second facteur, ProConnect vous envoie un code à usage unique par e-mail.</p>
<p>Cette page est protégée par <code>requireAuth({ mfa: true })</code> : une session sans double authentification repasse par ProConnect, qui la demande.</p>
<p><a class="fr-link fr-icon-arrow-left-line fr-link--icon-left" href="/">Retour à l'accueil</a></p>`,
  );
}

/**
 * The error page. `retryHref` is where « Réessayer la connexion » goes: the failed login again, with
 * the page and the level it asked for (see retry.ts).
 */
export function errorPage(
  context: PageContext,
  code: ProConnectErrorCode,
  message: ErrorMessage,
  retryHref = "/login",
): string {
  const technical = message.forTechnicalTeam
    ? html`<p class="fr-text--sm">Pour l'équipe technique du service : ${message.forTechnicalTeam}</p>`
    : html``;
  const retry = message.retry
    ? html`<li><a class="fr-btn" href="${retryHref}">Réessayer la connexion</a></li>`
    : html``;
  return layout(
    message.title,
    context,
    html`<div class="fr-alert fr-alert--error fr-mb-4w" data-error-code="${code}">
  <h1 class="fr-alert__title">${message.title}</h1>
  <p>${message.explanation}</p>
</div>
<p>${message.nextStep}</p>
${technical}
<p class="fr-text--sm">Code technique : <code>${code}</code></p>
<ul class="fr-btns-group fr-btns-group--inline-md">
  ${retry}
  <li><a class="fr-btn fr-btn--secondary" href="/">Retour à l'accueil</a></li>
</ul>`,
  );
}

/** Anything that is not a ProConnectError: no detail for the visitor, the server log has it. */
export function unexpectedErrorPage(context: PageContext): string {
  return layout(
    "Erreur inattendue",
    context,
    html`<h1>Une erreur inattendue est survenue</h1>
<p>Le service n'a pas pu traiter votre demande. Réessayez dans quelques minutes ; si le problème continue, contactez le support de ce service.</p>
<p><a class="fr-btn fr-btn--secondary" href="/">Retour à l'accueil</a></p>`,
  );
}

export function notFoundPage(context: PageContext): string {
  return layout(
    "Page non trouvée",
    context,
    html`<h1>Page non trouvée</h1>
<p>La page que vous cherchez n'existe pas ou a été déplacée.</p>
<p><a class="fr-btn fr-btn--secondary" href="/">Retour à l'accueil</a></p>`,
  );
}

/** The footer's legal pages. */
export type LegalPage = "accessibilite" | "mentions-legales" | "donnees-personnelles";

const BACK_HOME = html`<p><a class="fr-link fr-icon-arrow-left-line fr-link--icon-left" href="/">Retour à l'accueil</a></p>`;

const LEGAL: Readonly<Record<LegalPage, { title: string; description: string; body: Html }>> = {
  accessibilite: {
    title: "Déclaration d'accessibilité",
    description:
      "Déclaration d'accessibilité du service d'exemple de proconnect-express : non conforme, faute d'audit RGAA.",
    body: html`<p class="fr-text--lead">Cette application d'exemple est <strong>non conforme</strong> au référentiel général d'amélioration de l'accessibilité (RGAA 4.1) : aucun audit n'en a été fait.</p>
<h2>Ce qui est vérifié</h2>
<p>Chaque page (accueil, profil, espaces protégés, pages d'erreur, pages légales, pages de l'émulateur) passe à chaque modification les tests automatiques d'axe-core (WCAG 2.1 A et AA et bonnes pratiques), à 1280, 375 et 320 pixels de large, en thème clair et sombre, sans aucune erreur ; la connexion et la déconnexion se font au clavier seul. Un outil automatique ne couvre qu'une partie des critères du RGAA : cela ne remplace pas un audit.</p>
<h2>Ce qu'un service doit publier ici</h2>
<ul>
  <li>l'état de conformité (totalement, partiellement ou non conforme), établi par un audit RGAA, avec le taux de critères respectés et la date de l'audit ;</li>
  <li>les contenus non accessibles et les dérogations, avec les solutions de remplacement ;</li>
  <li>l'environnement de test (navigateurs, technologies d'assistance) et les outils utilisés ;</li>
  <li>un moyen de contact pour signaler un défaut d'accessibilité et obtenir le contenu sous une autre forme ;</li>
  <li>les voies de recours : le Défenseur des droits, si la réponse ne satisfait pas la personne ;</li>
  <li>le lien vers le schéma pluriannuel de mise en accessibilité de l'organisme.</li>
</ul>
<p>La mention du pied de page (« Accessibilité : non, partiellement ou totalement conforme ») est obligatoire sur chaque page ; elle mène à cette déclaration.</p>
${BACK_HOME}`,
  },
  "mentions-legales": {
    title: "Mentions légales",
    description: "Mentions légales du service d'exemple de proconnect-express.",
    body: html`<p class="fr-text--lead">Cette application est l'exemple de la bibliothèque libre proconnect-express : elle n'est éditée par aucune administration et ne sert qu'à montrer le code à reprendre.</p>
<h2>Ce qu'un service doit publier ici</h2>
<ul>
  <li>l'éditeur : le nom de l'administration ou de l'organisme, son adresse, son numéro de téléphone ou son adresse de contact ;</li>
  <li>le directeur ou la directrice de la publication ;</li>
  <li>l'hébergeur : son nom, son adresse et son numéro de téléphone ;</li>
  <li>la licence de réutilisation des contenus et les crédits (images, polices, marques) ;</li>
  <li>le lien vers la déclaration d'accessibilité et la page des données personnelles.</li>
</ul>
<h2>Cette application</h2>
<p>Le code est publié sous licence MIT. Le système de design de l'État (DSFR) est réservé aux sites de l'État : un service qui n'en est pas un garde le bouton ProConnect et prend sa propre apparence pour le reste.</p>
${BACK_HOME}`,
  },
  "donnees-personnelles": {
    title: "Données personnelles et cookies",
    description:
      "Quelles données personnelles le service d'exemple de proconnect-express reçoit de ProConnect, combien de temps il les garde, et ses cookies.",
    body: html`<p class="fr-text--lead">À la connexion, ProConnect transmet à ce service votre identité professionnelle : nom, prénom, adresse e-mail, SIRET de votre établissement et, si votre fournisseur d'identité les connaît, d'autres informations (<a href="/profil">Mon profil</a> les montre toutes).</p>
<h2>Ce que fait cette application</h2>
<p>Elle garde ces informations dans votre session, sur le serveur, jusqu'à la déconnexion et au plus 8 heures ; elle ne les transmet à personne et ne mesure pas l'audience.</p>
<h2>Cookies</h2>
<p>Seulement des cookies nécessaires au service, qui ne demandent donc pas de consentement :</p>
<ul>
  <li><code>session</code> : votre session, 8 heures au plus ;</li>
  <li><code>proconnect-login.…</code> : une connexion en cours (sa vérification de sécurité), 10 minutes au plus ;</li>
  <li><code>login-retry</code> : la page et le niveau de garantie demandés par la connexion en cours, pour la reprendre après une erreur, 10 minutes au plus.</li>
</ul>
<h2>Ce qu'un service doit publier ici</h2>
<ul>
  <li>le responsable du traitement et le contact de son délégué à la protection des données ;</li>
  <li>les finalités et la base légale (le plus souvent une mission d'intérêt public) ;</li>
  <li>les données traitées, leurs destinataires et leur durée de conservation ;</li>
  <li>les droits des personnes (accès, rectification, effacement, limitation, opposition) et comment les exercer ;</li>
  <li>le droit d'adresser une réclamation à la CNIL ;</li>
  <li>la liste des cookies et traceurs, et le gestionnaire de consentement s'il y en a qui en demandent.</li>
</ul>
${BACK_HOME}`,
  },
};

export function legalPage(context: PageContext, page: LegalPage): string {
  const { title, description, body } = LEGAL[page];
  return layout(
    title,
    context,
    html`<h1>${title}</h1>
${body}`,
    description,
  );
}
