// The messages for people, in French, of every ProConnectError code: for the pages an app shows when a
// login fails. The errors' own messages stay English: they are for developers and logs.
import {
  PROCONNECT_ERROR_CODES,
  type ProConnectError,
  type ProConnectErrorCode,
} from "./errors.js";

/** What a page tells the person, in French, for one {@link ProConnectError} code. */
export interface ProConnectMessage {
  /** The page's title. */
  title: string;
  /** What happened, for the person signing in. */
  explanation: string;
  /** What they can do now. */
  nextStep: string;
  /** What the service's technical team should check, when it is on their side. */
  forTechnicalTeam?: string;
  /** Whether starting the login again may work: offer it. */
  retry: boolean;
}

function deepFreeze<T extends Record<string, object>>(table: T): Readonly<T> {
  for (const value of Object.values(table)) Object.freeze(value);
  return Object.freeze(table);
}

const CONFIGURATION =
  "Ce service est mal configuré : la connexion ne peut pas aboutir tant qu'il n'est pas corrigé.";
const CONTACT_SERVICE = "Contactez le support de ce service en lui indiquant le code technique.";
const RETRY_LATER = "Réessayez dans quelques minutes.";

/**
 * A French message for people, per {@link ProConnectError} code: what happened, what to do now, and what
 * the service's technical team should check when it is on its side. For the error page an app shows; the
 * error's own `message` stays English and is for developers. Frozen; the `Record` type makes the compiler
 * check that no code lacks one.
 *
 * @example
 * const { title, explanation, nextStep } = PROCONNECT_MESSAGES_FR[error.code];
 */
export const PROCONNECT_MESSAGES_FR: Readonly<Record<ProConnectErrorCode, ProConnectMessage>> =
  deepFreeze({
    invalid_options: {
      title: "Service mal configuré",
      explanation: CONFIGURATION,
      nextStep: CONTACT_SERVICE,
      forTechnicalTeam:
        "Le message d'erreur au démarrage liste chaque option de proconnect() à corriger.",
      retry: false,
    },
    session_missing: {
      title: "Service mal configuré",
      explanation: CONFIGURATION,
      nextStep: CONTACT_SERVICE,
      forTechnicalTeam: "Montez express-session avant proconnect().",
      retry: false,
    },
    insecure_session_cookie: {
      title: "Service mal configuré",
      explanation: CONFIGURATION,
      nextStep: CONTACT_SERVICE,
      forTechnicalTeam:
        'Le cookie de session est Secure mais la requête n\'est pas en https pour Express : derrière un proxy, app.set("trust proxy", 1) ; en développement en http, cookie.secure: false.',
      retry: false,
    },
    not_configured: {
      title: "Service mal configuré",
      explanation: CONFIGURATION,
      nextStep: CONTACT_SERVICE,
      forTechnicalTeam:
        "proconnect() mal monté : baseUrl sans le chemin de montage, requireAuth() sans instance désignée alors que l'application en a plusieurs, ou deux instances avec le même nom ou les mêmes routes. Le message de l'erreur dit quoi changer.",
      retry: false,
    },
    login_loop: {
      // Most often a configuration error, but also a session store emptied just after the login (a
      // Redis restarted without persistence): a new login then works, and a loop shows this page again.
      title: "Connexion interrompue",
      explanation: "Vous venez de vous connecter, mais ce service n'a pas retrouvé votre session.",
      nextStep:
        "Reconnectez-vous. Si cette page revient, contactez le support de ce service en lui indiquant le code technique.",
      forTechnicalTeam:
        "La connexion vient de réussir mais la session n'a pas été retrouvée : le cookie de session n'est pas revenu (vérifiez son sameSite, lax et non strict, son domaine et son chemin, l'hôte de baseUrl), ou le magasin de sessions l'a perdue (toutes les instances doivent partager le même magasin, persistant).",
      retry: true,
    },
    provider_unavailable: {
      title: "ProConnect est injoignable",
      explanation: "Ce service n'a pas réussi à joindre ProConnect.",
      nextStep: `${RETRY_LATER} Si le problème continue, prévenez le support de ce service.`,
      forTechnicalTeam:
        "Vérifiez que le serveur atteint l'adresse de ProConnect (issuer). Sur le RIE, ProConnect doit avoir ouvert les adresses IP du serveur : demandez-le par le formulaire de ProConnect.",
      retry: true,
    },
    cross_site_request: {
      title: "Déconnexion refusée",
      explanation:
        "Une demande de déconnexion venue d’un autre site a été refusée : seul ce service peut vous déconnecter. Rien n’a changé pour vous sur ce service.",
      nextStep: "Pour vous déconnecter, utilisez le bouton « Se déconnecter » de ce service.",
      forTechnicalTeam:
        "POST /logout avec Sec-Fetch-Site: cross-site ou same-site, ou un en-tête Origin différent de l’origine de baseUrl.",
      retry: false,
    },
    method_not_allowed: {
      title: "Déconnexion par un bouton",
      explanation:
        "La déconnexion se fait par le bouton « Se déconnecter » de ce service, pas par un lien : un autre site ne peut ainsi pas vous déconnecter à votre insu.",
      nextStep: "Utilisez le bouton « Se déconnecter » de ce service.",
      forTechnicalTeam:
        'Le lien GET /logout doit être un formulaire : <form method="post" action="/logout"><button>Se déconnecter</button></form>.',
      retry: false,
    },
    session_store_unavailable: {
      title: "Service momentanément indisponible",
      explanation:
        "Ce service n'a pas pu lire ou enregistrer votre session. Aucune connexion ni déconnexion n'est restée à moitié faite.",
      nextStep: `${RETRY_LATER} Si le problème continue, prévenez le support de ce service.`,
      forTechnicalTeam:
        "Le stockage des sessions (Redis…) a échoué ou n'a pas répondu dans le délai sessionTimeout (3 secondes par défaut) : vérifiez qu'il répond.",
      retry: true,
    },
    timeout: {
      title: "ProConnect n'a pas répondu à temps",
      explanation: "ProConnect n'a pas répondu assez vite pour terminer votre connexion.",
      nextStep: RETRY_LATER,
      forTechnicalTeam:
        "Le délai est l'option httpTimeout (5 secondes par défaut). Vérifiez le réseau entre le serveur et ProConnect.",
      retry: true,
    },
    provider_error: {
      title: "Réponse inattendue de ProConnect",
      explanation:
        "ProConnect a renvoyé une réponse que ce service ne comprend pas, ou a refusé ses identifiants.",
      nextStep: `${RETRY_LATER} ${CONTACT_SERVICE}`,
      forTechnicalTeam:
        "Vérifiez le client_id et le client_secret de l'environnement utilisé (intégration ou production).",
      retry: true,
    },
    issuer_mismatch: {
      title: "ProConnect ne s'est pas présenté comme prévu",
      explanation:
        "La réponse ne vient pas de l'instance de ProConnect que ce service attend : la connexion a été arrêtée par sécurité.",
      nextStep: CONTACT_SERVICE,
      forTechnicalTeam:
        "Vérifiez l'environnement (intégration ou production) et le réseau (Internet ou RIE) configurés : ils déterminent l'issuer attendu.",
      retry: false,
    },
    invalid_id_token: {
      title: "Connexion non vérifiable",
      explanation:
        "La preuve de connexion envoyée par ProConnect n'a pas passé les contrôles de sécurité (signature, validité, destinataire).",
      nextStep: `Réessayez. ${CONTACT_SERVICE}`,
      forTechnicalTeam:
        "Vérifiez l'horloge du serveur et que l'algorithme de signature enregistré chez ProConnect est celui configuré (ES256 par défaut).",
      retry: true,
    },
    invalid_userinfo: {
      title: "Informations de compte non vérifiables",
      explanation:
        "Les informations de votre compte envoyées par ProConnect n'ont pas passé les contrôles de sécurité.",
      nextStep: `Réessayez. ${CONTACT_SERVICE}`,
      forTechnicalTeam:
        "Vérifiez que l'algorithme de signature de userinfo enregistré chez ProConnect est celui configuré (ES256 par défaut).",
      retry: true,
    },
    invalid_user_claims: {
      title: "Il manque des informations à votre compte",
      explanation:
        "Votre fournisseur d'identité (votre administration ou votre entreprise) n'a pas transmis une information obligatoire, ou l'a transmise invalide : numéro SIRET, adresse e-mail, nom ou prénom.",
      nextStep:
        "Contactez le support de votre fournisseur d'identité pour faire compléter ou corriger votre compte, puis réessayez.",
      retry: true,
    },
    idp_not_allowed: {
      title: "Compte non accepté par ce service",
      explanation:
        "Ce service n'accepte que les comptes de certaines organisations, et pas celui avec lequel vous vous êtes connecté.",
      nextStep:
        "Connectez-vous avec le compte de votre organisation, ou contactez le support de ce service pour demander un accès.",
      retry: true,
    },
    login_rejected: {
      title: "Accès refusé",
      explanation: "Votre identité a bien été vérifiée, mais ce service ne vous donne pas accès.",
      nextStep: "Contactez le support de ce service pour demander un accès.",
      retry: false,
    },
    invalid_state: {
      title: "Cette connexion a expiré",
      explanation:
        "Le retour de ProConnect ne correspond à aucune connexion en cours dans ce navigateur : elle a expiré, a déjà abouti, ou a été commencée dans un autre navigateur.",
      nextStep: "Recommencez la connexion.",
      retry: true,
    },
    invalid_callback: {
      title: "Retour de ProConnect incomplet",
      explanation: "L'adresse de retour de ProConnect est incomplète ou a été modifiée.",
      nextStep: "Recommencez la connexion.",
      retry: true,
    },
    code_rejected: {
      title: "ProConnect a refusé de finaliser la connexion",
      explanation:
        "La connexion a pris trop de temps, ou la page de retour a été rechargée : ProConnect ne l'accepte qu'une fois.",
      nextStep: "Recommencez la connexion.",
      forTechnicalTeam:
        "Si cela se répète, vérifiez que l'URL de retour enregistrée chez ProConnect est exactement celle du service (baseUrl suivie de /callback).",
      retry: true,
    },
    invalid_login_request: {
      title: "Demande de connexion invalide",
      explanation:
        "Le lien de connexion contient un paramètre que ProConnect refuserait (fournisseur, e-mail ou SIRET suggéré).",
      nextStep: "Recommencez la connexion depuis la page d'accueil.",
      retry: true,
    },
    invalid_logout_state: {
      title: "Déconnexion non confirmée",
      explanation:
        "Vous êtes bien déconnecté de ce service, mais le retour de ProConnect n'a pas pu être vérifié.",
      nextStep: "Vous pouvez fermer cette page ou revenir à l'accueil.",
      retry: false,
    },
    unauthenticated: {
      title: "Connexion requise",
      explanation: "Cette page est réservée aux personnes connectées.",
      nextStep: "Connectez-vous avec ProConnect.",
      retry: true,
    },
    insufficient_acr: {
      title: "Niveau de garantie insuffisant",
      explanation:
        "Cette page demande une connexion d'un niveau de garantie plus élevé (par exemple la certification dirigeant).",
      nextStep: "Reconnectez-vous avec un compte qui offre ce niveau.",
      retry: true,
    },
    reauthentication_required: {
      title: "Session expirée",
      explanation:
        "Votre connexion ProConnect a expiré : ce service ne peut plus agir en votre nom auprès des autres services.",
      nextStep: "Reconnectez-vous avec ProConnect.",
      retry: true,
    },
    invalid_token: {
      title: "Accès refusé",
      explanation: "Le jeton d'accès présenté à ce service n'est pas ou plus valide.",
      nextStep: "Reconnectez-vous avec ProConnect, puis réessayez.",
      retry: true,
    },
    insufficient_scope: {
      title: "Accès refusé",
      explanation: "Le jeton d'accès présenté ne donne pas les droits que cette action demande.",
      nextStep: CONTACT_SERVICE,
      forTechnicalTeam:
        "Demandez à la connexion les scopes que requireBearer({ scopes }) exige, et faites-les autoriser pour votre client par ProConnect.",
      retry: false,
    },
    introspection_unavailable: {
      title: "ProConnect est momentanément indisponible",
      explanation: "Ce service n'a pas pu faire vérifier votre jeton d'accès par ProConnect.",
      nextStep: RETRY_LATER,
      forTechnicalTeam:
        "Le point d'introspection de ProConnect n'a pas répondu dans le délai (httpTimeout), a refusé les identifiants du serveur de ressources, ou a répondu autre chose qu'une réponse d'introspection.",
      retry: true,
    },
    access_denied: {
      title: "Connexion refusée",
      explanation:
        "La connexion a été annulée, ou votre fournisseur d'identité ne peut pas offrir le niveau de garantie demandé (par exemple la certification dirigeant).",
      nextStep:
        "Réessayez, ou connectez-vous avec un compte qui offre ce niveau (pour la certification dirigeant : un compte ProConnect Identité de dirigeant).",
      retry: true,
    },
    login_required: {
      title: "Connexion requise",
      explanation: "ProConnect demande que vous vous connectiez de nouveau.",
      nextStep: "Recommencez la connexion.",
      retry: true,
    },
    interaction_required: {
      title: "Action requise sur ProConnect",
      explanation: "ProConnect a besoin que vous confirmiez votre connexion.",
      nextStep: "Recommencez la connexion.",
      retry: true,
    },
    consent_required: {
      title: "Consentement requis",
      explanation:
        "ProConnect a besoin de votre accord pour transmettre vos informations à ce service.",
      nextStep: "Recommencez la connexion et donnez votre accord.",
      retry: true,
    },
    account_selection_required: {
      title: "Choix du compte requis",
      explanation: "ProConnect a besoin que vous choisissiez le compte à utiliser.",
      nextStep: "Recommencez la connexion.",
      retry: true,
    },
    invalid_request: {
      title: "Demande refusée par ProConnect",
      explanation: "ProConnect a refusé la demande de connexion de ce service.",
      nextStep: CONTACT_SERVICE,
      forTechnicalTeam:
        "Vérifiez les paramètres de connexion et que les URL de retour enregistrées chez ProConnect sont exactement celles du service (sinon ProConnect affiche Y030031 ou Y030111).",
      retry: false,
    },
    invalid_scope: {
      title: "Informations demandées non autorisées",
      explanation:
        "Ce service demande des informations que ProConnect ne lui permet pas d'obtenir.",
      nextStep: CONTACT_SERVICE,
      forTechnicalTeam:
        "ProConnect n'a pas autorisé un des scopes demandés pour ce client_id : demandez à ProConnect de l'activer, ou retirez-le de l'option scopes.",
      retry: false,
    },
    idp_hint_not_found: {
      title: "Fournisseur d'identité introuvable",
      explanation:
        "Le lien de connexion désigne un fournisseur d'identité que ProConnect ne connaît pas.",
      nextStep: "Reprenez la connexion depuis la page d'accueil du service.",
      forTechnicalTeam:
        "L'idp_hint envoyé à /login ne correspond à aucun fournisseur d'identité de ProConnect : vérifiez l'idp_id.",
      retry: true,
    },
    unauthorized_client: {
      title: "Service non autorisé",
      explanation: "ProConnect n'autorise pas ce service à se connecter de cette façon.",
      nextStep: CONTACT_SERVICE,
      forTechnicalTeam:
        "Vérifiez l'enregistrement du service chez ProConnect (client_id, environnement, réseau, type de public accepté : Y500015 pour un service qui n'accepte pas le secteur privé).",
      retry: false,
    },
    unsupported_response_type: {
      title: "Service mal configuré",
      explanation: CONFIGURATION,
      nextStep: CONTACT_SERVICE,
      forTechnicalTeam: "ProConnect n'accepte que le flux « code » (response_type=code).",
      retry: false,
    },
    server_error: {
      title: "Erreur chez ProConnect",
      explanation: "ProConnect a rencontré une erreur pendant votre connexion.",
      nextStep: RETRY_LATER,
      retry: true,
    },
    temporarily_unavailable: {
      title: "ProConnect est momentanément indisponible",
      explanation: "ProConnect ne peut pas traiter de connexion pour le moment.",
      nextStep: RETRY_LATER,
      retry: true,
    },
  });

/** The claims a person can have fixed at their identity provider, in words (never their values). */
const CLAIM_WORDS: Readonly<Record<string, string>> = {
  sub: "l'identifiant de votre compte",
  idp_id: "le fournisseur d'identité",
  siret: "le numéro SIRET de votre établissement",
  email: "votre adresse e-mail",
  given_name: "votre prénom",
  usual_name: "votre nom",
  uid: "votre identifiant chez le fournisseur d'identité",
  phone_number: "votre numéro de téléphone",
};

function inWords(items: string[]): string {
  return items.length < 2
    ? (items[0] ?? "")
    : `${items.slice(0, -1).join(", ")} et ${items.at(-1)}`;
}

/**
 * The French message for an error (or a code), made precise where the error says more: for
 * `invalid_user_claims`, the information the identity provider did not send, in words (never values).
 *
 * @example
 * app.use((err, req, res, next) => {
 *   if (!(err instanceof ProConnectError)) return next(err);
 *   const message = proconnectMessageFr(err);
 *   res.status(err.status).render("erreur", { ...message, code: err.code });
 * });
 */
export function proconnectMessageFr(
  error: ProConnectError | ProConnectErrorCode,
): ProConnectMessage {
  const code = typeof error === "string" ? error : error.code;
  const message = Object.hasOwn(PROCONNECT_ERROR_CODES, code)
    ? PROCONNECT_MESSAGES_FR[code]
    : PROCONNECT_MESSAGES_FR.provider_error;
  if (typeof error === "string" || code !== "invalid_user_claims") return message;
  const claims = (error.claims ?? []).filter((claim) => Object.hasOwn(CLAIM_WORDS, claim));
  if (claims.length === 0) return message;
  const words = inWords(claims.map((claim) => CLAIM_WORDS[claim] ?? claim));
  return {
    ...message,
    explanation: `Votre fournisseur d'identité (votre administration ou votre entreprise) n'a pas transmis ${words} sous une forme valide (information absente ou incorrecte) : ce service ne peut pas vous connecter sans.`,
  };
}
