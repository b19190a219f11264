import type { ProConnectEnvironment, ProConnectNetwork } from "../lib/issuers.js";
import { EXIT, type SpConfigArgs } from "./args.js";
import { optionName, type LoadedConfig } from "./config.js";
import { ENVIRONMENT_LABELS, mark, NETWORK_LABELS, type Output } from "./output.js";
import type { Lang } from "./i18n.js";
import { mergeUris, type UriWarning } from "./uris.js";

/** What `sp-config --json` prints: the form's answers. Never the client secret. */
export interface SpConfigReport {
  clientId: string;
  network: ProConnectNetwork;
  environment: ProConnectEnvironment;
  /** The full list of login redirect URIs to send (it replaces the registered one). */
  redirectUris: string[];
  /** The full list of post-logout redirect URIs to send (it replaces the registered one). */
  postLogoutRedirectUris: string[];
  /** The scopes the app asks for: ProConnect must allow each for this client (not a field of the form). */
  scopes: string[];
  /** On the RIE the form also asks for the servers' outgoing IP ranges, which only you know. */
  ipRangesNeeded: boolean;
  warnings: UriWarning[];
}

const FORM = "Demande de modification d'un Fournisseur de Services ProConnect";
const PARTNERS = "https://partenaires.proconnect.gouv.fr/";

/** The answers to ProConnect's form for this configuration, merged with the URIs already registered. */
export function spConfigReport(
  config: LoadedConfig,
  args: SpConfigArgs,
  lang: Lang = "fr",
): SpConfigReport {
  const { options } = config;
  const given = args.existing.length > 0 || args.existingLogout.length > 0;
  const { lists, warnings } = mergeUris({
    environment: options.environment,
    app: { login: options.redirectUri, logout: options.postLogoutRedirectUri },
    // Either flag says "this is what is registered": a list not given is then an empty one.
    existing: given ? { login: args.existing, logout: args.existingLogout } : undefined,
    lang,
  });
  return {
    clientId: options.clientId,
    network: options.network,
    environment: options.environment,
    redirectUris: lists.login,
    postLogoutRedirectUris: lists.logout,
    scopes: options.scope.split(" "),
    ipRangesNeeded: options.network === "rie",
    warnings,
  };
}

/**
 * `proconnect-express sp-config`: prints the form's answers, in the run's language or as JSON. Returns the exit
 * code: 0, or 1 with `--strict` when there is a warning.
 */
export function runSpConfig(args: SpConfigArgs, config: LoadedConfig, output: Output): number {
  const report = spConfigReport(config, args, output.lang);
  if (args.json) {
    for (const line of JSON.stringify(report, null, 2).split("\n")) output.out(line);
  } else {
    for (const line of formatReport(report, config, output)) output.out(line);
  }
  return args.strict && report.warnings.length > 0 ? EXIT.failed : EXIT.ok;
}

/**
 * The form is in French: in English the answers keep its field labels, quoted, so that each can be found
 * on the form.
 */
function formatReport(report: SpConfigReport, config: LoadedConfig, output: Output): string[] {
  const { t, lang } = output;
  const field = (french: string, english: string) =>
    lang === "en" ? `${english} (form field « ${french} »)` : french;
  const defaulted = (option: "environment" | "network") =>
    config.defaulted.has(option)
      ? t(
          ` (valeur par défaut : ${optionName(config.source, option)} n'est pas défini)`,
          ` (default: ${optionName(config.source, option)} is not set)`,
        )
      : "";
  const lines = [
    t(`Réponses au formulaire « ${FORM} »`, `Answers to ProConnect's form « ${FORM} »`),
    "",
    field("CLIENT ID", "Client id"),
    report.clientId,
    "",
    field("Réseau du Fournisseur de Services", "Network"),
    `${NETWORK_LABELS[report.network]}${defaulted("network")}`,
    "",
    field("Environnement du Fournisseur de Services", "Environment"),
    `${ENVIRONMENT_LABELS[lang][report.environment]}${defaulted("environment")}`,
    "",
    field("URLs de redirection post CONNEXION", "Login redirect URIs"),
    ...report.redirectUris,
    "",
    field("URLs de redirection post DÉCONNEXION", "Post-logout redirect URIs"),
    ...report.postLogoutRedirectUris,
    "",
  ];
  if (report.ipRangesNeeded) {
    lines.push(
      field("Plages / adresses IP", "IP ranges"),
      ...(lang === "en"
        ? [
            "Yours to fill in: the outgoing IP range(s) of the app's servers, those they call ProConnect",
            "from on the RIE (POST /token, GET /userinfo). Leave it empty if they did not change. Until",
            "they are opened, these calls time out.",
          ]
        : [
            "À remplir vous-même : la ou les plages d'adresses IP sortantes des serveurs de l'application,",
            "celles avec lesquelles ils appellent ProConnect sur le RIE (POST /token, GET /userinfo).",
            "Laissez vide si elles n'ont pas changé. Tant qu'elles ne sont pas ouvertes, ces appels expirent.",
          ]),
      "",
    );
  }
  lines.push(
    t(
      "Scopes que l'application demande (pas un champ du formulaire : ProConnect doit autoriser chacun pour ce client, sinon chaque connexion échoue avec invalid_scope ; proconnect-express doctor le vérifie) :",
      "Scopes the app asks for (not a field of the form: ProConnect must allow each for this client, or every login fails with invalid_scope; proconnect-express doctor checks it):",
    ),
    report.scopes.join(" "),
    "",
    t(
      "Une demande remplace les listes entières : collez chaque liste complète, une URL par ligne.",
      "A request replaces whole lists: paste each full list, one URI per line.",
    ),
    t(
      "ProConnect compare les URLs à la lettre (la barre oblique finale compte) et refuse les wildcards (*).",
      "ProConnect compares URIs to the letter (a trailing slash counts) and refuses wildcards (*).",
    ),
  );
  if (report.network === "internet" && report.environment === "integration") {
    lines.push(
      t(
        `Sur Internet en intégration, la demande passe par l'espace partenaires : ${PARTNERS}`,
        `On the Internet in integration, the request goes through the partners' site: ${PARTNERS}`,
      ),
    );
  }
  if (report.warnings.length > 0) {
    lines.push(
      "",
      t(`Avertissements (${report.warnings.length}) :`, `Warnings (${report.warnings.length}):`),
    );
    for (const warning of report.warnings) {
      const code = warning.proconnectCode ? ` (${warning.proconnectCode})` : "";
      const colon = lang === "en" ? ":" : " :";
      lines.push(`${mark("warn")} ${warning.code}${code}${colon} ${warning.uri ?? ""}`.trimEnd());
      lines.push(`  ${warning.message}`);
    }
  }
  return lines;
}
