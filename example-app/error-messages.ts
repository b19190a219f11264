import type { Request } from "express";
import {
  proconnectMessageFr,
  type ProConnectError,
  type ProConnectMessage,
} from "proconnect-express";

/** What the error page tells the person, in French: the library's message for the error's code. */
export type ErrorMessage = ProConnectMessage;

/** `/callback` opened with no parameter at all: a bookmark, the history, a copied link. */
export const CALLBACK_WITHOUT_PARAMETERS: ErrorMessage = {
  title: "Aucune connexion en cours",
  explanation:
    "Cette adresse est celle où ProConnect vous renvoie à la fin d'une connexion. Ouverte directement (depuis un favori, l'historique ou un lien copié), elle ne correspond à aucune connexion.",
  nextStep: "Pour vous connecter, utilisez le bouton « S’identifier avec ProConnect ».",
  retry: true,
};

/** The message for this error on this request: the library's, made precise where the request says more. */
export function errorMessageFor(error: ProConnectError, req: Request): ErrorMessage {
  if (
    error.code === "invalid_state" &&
    req.path === "/callback" &&
    Object.keys(req.query).length === 0
  ) {
    return CALLBACK_WITHOUT_PARAMETERS;
  }
  return proconnectMessageFr(error);
}
