// The "Signaler l'erreur" links of ProConnect's error pages: an e-mail to its support, prefilled.
// The default one (back/libs/exceptions/src/helpers/exception-display.helper.ts getDefaultContactHref)
// and the one of an invalid identity (core-fca-invalid-identity.exception.ts), which quotes what the
// FI sent and what was wrong with it, in class-validator's shape.

/** The server's `supportEmail` (config/app.ts): where an FI without its own address sends people. */
export const SUPPORT_EMAIL = "support+federation@proconnect.gouv.fr";

const NOT_PROVIDED = "non renseigné";

/** The default link, for the errors that show one (Y500015, Y500025…). */
export function defaultContactHref(details: {
  code: string;
  message: string;
  spName?: string;
  idpName?: string;
}): string {
  const body = `Bonjour,

Je vous signale une erreur que j’ai rencontrée sur ProConnect :

- Code de l’erreur : "${details.code}" ;
- Identifiant de l’erreur : "${NOT_PROVIDED}" ;
- Message d’erreur : "${details.message}".

Je souhaitais me connecter à « ${details.spName ?? NOT_PROVIDED} ».

Mon fournisseur d’identité est « ${details.idpName ?? NOT_PROVIDED} ».

Cordialement,
`;
  return mailto(SUPPORT_EMAIL, `Signaler l’erreur ${details.code} sur ProConnect`, body);
}

/**
 * The link of Y500006: the constraints that failed (one object per field, class-validator's) and the
 * identity as the FI sent it, for the person to send to their organisation's IT.
 */
export function invalidIdentityHref(
  constraints: readonly Record<string, string>[],
  target: Record<string, unknown>,
): string {
  const body = `Bonjour,

Voici une erreur remontée par ProConnect suite à une tentative de connexion infructueuse.

${JSON.stringify(constraints)}

Voici l'identité telle que reçue par ProConnect :

${JSON.stringify(target)}

Merci de corriger mes informations d'identité afin que ProConnect reconnaisse mon identité et que je puisse me connecter.

Cordialement,
`;
  return mailto(SUPPORT_EMAIL, "Mise à jour de mon profil pour compatibilité ProConnect", body);
}

function mailto(address: string, subject: string, body: string): string {
  return `mailto:${encodeURIComponent(address)}?subject=${encodeURIComponent(subject)}&body=${encodeURIComponent(body)}`;
}
