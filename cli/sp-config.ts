import type { ProConnectEnvironment, ProConnectNetwork } from "../lib/issuers.js";
import { EXIT, type SpConfigArgs } from "./args.js";
import { optionName, type LoadedConfig } from "./config.js";
import { ENVIRONMENT_LABELS, mark, NETWORK_LABELS, type Output } from "./output.js";
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
  /** On the RIE the form also asks for the servers' outgoing IP ranges, which only you know. */
  ipRangesNeeded: boolean;
  warnings: UriWarning[];
}

const FORM = "Demande de modification d'un Fournisseur de Services ProConnect";
const PARTNERS = "https://partenaires.proconnect.gouv.fr/";

/** The answers to ProConnect's form for this configuration, merged with the URIs already registered. */
export function spConfigReport(config: LoadedConfig, args: SpConfigArgs): SpConfigReport {
  const { options } = config;
  const given = args.existing.length > 0 || args.existingLogout.length > 0;
  const { lists, warnings } = mergeUris({
    environment: options.environment,
    app: { login: options.redirectUri, logout: options.postLogoutRedirectUri },
    // Either flag says "this is what is registered": a list not given is then an empty one.
    existing: given ? { login: args.existing, logout: args.existingLogout } : undefined,
  });
  return {
    clientId: options.clientId,
    network: options.network,
    environment: options.environment,
    redirectUris: lists.login,
    postLogoutRedirectUris: lists.logout,
    ipRangesNeeded: options.network === "rie",
    warnings,
  };
}

/**
 * `proconnect-express sp-config`: prints the form's answers, in French or as JSON. Returns the exit
 * code: 0, or 1 with `--strict` when there is a warning.
 */
export function runSpConfig(args: SpConfigArgs, config: LoadedConfig, output: Output): number {
  const report = spConfigReport(config, args);
  if (args.json) {
    output.out(JSON.stringify(report, null, 2));
  } else {
    for (const line of formatReport(report, config, output.color)) output.out(line);
  }
  return args.strict && report.warnings.length > 0 ? EXIT.failed : EXIT.ok;
}

function formatReport(report: SpConfigReport, config: LoadedConfig, color: boolean): string[] {
  const defaulted = (option: "environment" | "network") =>
    config.defaulted.has(option)
      ? ` (valeur par défaut : ${optionName(config.source, option)} n'est pas défini)`
      : "";
  const lines = [
    `Réponses au formulaire « ${FORM} »`,
    "",
    "CLIENT ID",
    report.clientId,
    "",
    "Réseau du Fournisseur de Services",
    `${NETWORK_LABELS[report.network]}${defaulted("network")}`,
    "",
    "Environnement du Fournisseur de Services",
    `${ENVIRONMENT_LABELS[report.environment]}${defaulted("environment")}`,
    "",
    "URLs de redirection post CONNEXION",
    ...report.redirectUris,
    "",
    "URLs de redirection post DÉCONNEXION",
    ...report.postLogoutRedirectUris,
    "",
  ];
  if (report.ipRangesNeeded) {
    lines.push(
      "Plages / adresses IP",
      "À remplir vous-même : la ou les plages d'adresses IP sortantes des serveurs de l'application,",
      "celles avec lesquelles ils appellent ProConnect sur le RIE (POST /token, GET /userinfo).",
      "Laissez vide si elles n'ont pas changé. Tant qu'elles ne sont pas ouvertes, ces appels expirent.",
      "",
    );
  }
  lines.push(
    "Une demande remplace les listes entières : collez chaque liste complète, une URL par ligne.",
    "ProConnect compare les URLs à la lettre (la barre oblique finale compte) et refuse les wildcards (*).",
  );
  if (report.network === "internet" && report.environment === "integration") {
    lines.push(
      `Sur Internet en intégration, la demande passe par l'espace partenaires : ${PARTNERS}`,
    );
  }
  if (report.warnings.length > 0) {
    lines.push("", `Avertissements (${report.warnings.length}) :`);
    for (const warning of report.warnings) {
      const code = warning.proconnectCode ? ` (${warning.proconnectCode})` : "";
      lines.push(`${mark("warn", color)} ${warning.code}${code} : ${warning.uri ?? ""}`.trimEnd());
      lines.push(`  ${warning.message}`);
    }
  }
  return lines;
}
