import { randomUUID } from "node:crypto";
import type { EmulatorIdentity, ResolvedEmulatorOptions } from "./options.js";

// ProConnect's accounts (back/libs/account-fca/src/services/account-fca.service.ts, getOrCreateAccount):
// the client gets the account's `sub`, not the FI's. An account holds the keys (idp_id, FI sub, e-mail)
// of every FI login that led to it; a login is matched by (idp_id, FI sub), else, from an FI other
// than the default one (ProConnect Identité), by the lower-cased e-mail of a login at the default FI.

interface AccountKey {
  idpId: string;
  idpSub: string;
  idpMail?: string;
}

interface Account {
  sub: string;
  keys: AccountKey[];
  /** false: blocked by ProConnect's operators (Y500024). */
  active: boolean;
}

/** The emulator's accounts: those of the `accounts` option, then one per new person. */
export class Accounts {
  readonly #accounts: Account[];
  readonly #defaultIdpId: string;
  /** Who last signed in to each account: findAccount's identity for the `claims` tamper hook. */
  readonly #identities = new Map<string, EmulatorIdentity>();

  constructor(options: Pick<ResolvedEmulatorOptions, "accounts" | "defaultIdpId">) {
    this.#defaultIdpId = options.defaultIdpId;
    this.#accounts = options.accounts.map(({ sub, identities, active }) => ({
      sub,
      active,
      keys: identities.map(({ idp_id, sub: idpSub, email }) => ({
        idpId: idp_id,
        idpSub,
        ...(email === undefined ? {} : { idpMail: email }),
      })),
    }));
  }

  /**
   * The account of this FI login, found or created, its keys brought up to date as the server does.
   * A new account takes the FI's `sub` when no account has it yet (the server draws a UUID): a test
   * then knows the `sub` its client gets.
   */
  signIn(identity: EmulatorIdentity, email: string | undefined): string {
    const idpId = identity.idp_id;
    const idpSub = identity.sub;
    const account =
      this.#accounts.find(({ keys }) =>
        keys.some((key) => key.idpId === idpId && key.idpSub === idpSub),
      ) ??
      this.#reconciled(idpId, email) ??
      this.#create(idpSub);
    account.keys = account.keys.filter((key) => !(key.idpId === idpId && key.idpSub === idpSub));
    account.keys.push({ idpId, idpSub, ...(email === undefined ? {} : { idpMail: email }) });
    this.#identities.set(account.sub, identity);
    return account.sub;
  }

  /** Whether the account may sign in (interaction.controller.ts getVerify: else Y500024). */
  isActive(sub: string): boolean {
    return this.#accounts.find((account) => account.sub === sub)?.active ?? false;
  }

  /** The person who last signed in to this account. */
  identityOf(sub: string): EmulatorIdentity | undefined {
    return this.#identities.get(sub);
  }

  // getReconciledAccount: only towards the default FI, whose addresses are lower-case.
  #reconciled(idpId: string, email: string | undefined): Account | undefined {
    if (idpId === this.#defaultIdpId || email === undefined) return undefined;
    const mail = email.toLowerCase();
    return this.#accounts.find(({ keys }) =>
      keys.some((key) => key.idpId === this.#defaultIdpId && key.idpMail === mail),
    );
  }

  #create(idpSub: string): Account {
    const taken = this.#accounts.some((account) => account.sub === idpSub);
    const account = { sub: taken ? randomUUID() : idpSub, keys: [], active: true };
    this.#accounts.push(account);
    return account;
  }
}
