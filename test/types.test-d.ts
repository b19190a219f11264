import type { ClaimName } from "../lib/claims.js";
import type { z } from "zod";
import type { optionsSchema } from "../lib/options.js";
import type { Request, Response } from "express";
import { describe, expectTypeOf, it } from "vitest";
import {
  DEFAULT_SCOPES,
  proconnect,
  requireAuth,
  type DefaultScopes,
  type ProConnectHookContext,
  type ProConnectOptions,
  type ProConnectScope,
  type ProConnectUser,
  type ProConnectUserFor,
} from "../lib/index.js";

describe("types for a consuming app", () => {
  it("types req.proconnectUser on every Express request", () => {
    expectTypeOf<Request["proconnectUser"]>().toEqualTypeOf<ProConnectUser | undefined>();
    const handler = (req: Request) => {
      if (req.proconnectUser) {
        expectTypeOf(req.proconnectUser.sub).toEqualTypeOf<string>();
        expectTypeOf(req.proconnectUser.siret).toEqualTypeOf<string>();
        expectTypeOf(req.proconnectUser.idp_id).toEqualTypeOf<string>();
        // Always set from the SIRET, whatever the identity provider sent.
        expectTypeOf(req.proconnectUser.siren).toEqualTypeOf<string>();
        expectTypeOf(req.proconnectUser.email).toEqualTypeOf<string | undefined>();
        expectTypeOf(req.proconnectUser.chorusdt).toEqualTypeOf<
          { matricule?: string; societe?: string } | undefined
        >();
      }
    };
    expectTypeOf(handler).parameter(0).toEqualTypeOf<Request>();
  });

  it("types the options from the schema: required fields, enums, defaults optional", () => {
    expectTypeOf<ProConnectOptions["clientId"]>().toEqualTypeOf<string>();
    expectTypeOf<ProConnectOptions["environment"]>().toEqualTypeOf<
      "integration" | "production" | undefined
    >();
    const base = { clientId: "x", clientSecret: "y", baseUrl: "https://a.fr" };
    // @ts-expect-error: clientSecret and baseUrl are required
    proconnect({ clientId: "x" });
    // @ts-expect-error: not a scope ProConnect knows
    proconnect({ ...base, scopes: ["admin"] });
    // @ts-expect-error: not an algorithm ProConnect offers
    proconnect({ ...base, idTokenSignedResponseAlg: "none" });
    // @ts-expect-error: not an acr value ProConnect knows
    requireAuth({ acr: "eidas9" });
  });
});

describe("proconnect(...).user(req)", () => {
  const base = { clientId: "x", clientSecret: "y", baseUrl: "https://a.fr" };

  it("has email, names and uid required with the default scopes, which refuse a login without them", () => {
    const user = proconnect(base).user({});
    expectTypeOf(user).toEqualTypeOf<ProConnectUserFor<DefaultScopes> | undefined>();
    expectTypeOf(user!.email).toEqualTypeOf<string>();
    expectTypeOf(user!.given_name).toEqualTypeOf<string>();
    expectTypeOf(user!.uid).toEqualTypeOf<string>();
    expectTypeOf(user!.phone_number).toEqualTypeOf<string | undefined>();
  });

  it("follows the scopes written in the options: required with their scope, optional without", () => {
    const user = proconnect({ ...base, scopes: ["openid", "email"] }).user({})!;
    expectTypeOf(user.email).toEqualTypeOf<string>();
    expectTypeOf(user.given_name).toEqualTypeOf<string | undefined>();
    expectTypeOf(user.siret).toEqualTypeOf<string>();
  });

  it("guarantees nothing more for scopes only known as an array", () => {
    const scopes: ProConnectScope[] = ["openid", "email"];
    expectTypeOf(proconnect({ ...base, scopes }).user({})).toEqualTypeOf<
      ProConnectUser | undefined
    >();
    expectTypeOf<ProConnectUserFor<"openid">["email"]>().toEqualTypeOf<string | undefined>();
  });

  it("takes DEFAULT_SCOPES spread with one more, as docs/access.md writes it", () => {
    const auth = proconnect({ ...base, scopes: [...DEFAULT_SCOPES, "roles"] });
    expectTypeOf(auth.user({})).toEqualTypeOf<ProConnectUser | undefined>();
    // @ts-expect-error not a ProConnect scope
    proconnect({ ...base, scopes: [...DEFAULT_SCOPES, "admin"] });
  });
});

describe("ProConnectOptions", () => {
  it("is exactly what the options schema accepts", () => {
    expectTypeOf<z.input<typeof optionsSchema>>().toEqualTypeOf<ProConnectOptions>();
  });
});

describe("ProConnectUser", () => {
  it("has a field for each claim of the claims table (chorusdt's two folded into one)", () => {
    type Fields = Exclude<ClaimName, `chorusdt:${string}`> | "chorusdt";
    expectTypeOf<keyof ProConnectUser>().toEqualTypeOf<Fields>();
  });
});

describe("the hooks", () => {
  it("give onLogin and onLogout the request, the response, the session and the instance", () => {
    const base = { clientId: "c", clientSecret: "s", baseUrl: "https://a.gouv.fr" };
    proconnect({
      ...base,
      // A block body that only writes the session, and returns nothing.
      onLogin: (user, { req, res, session, instance }) => {
        expectTypeOf(user).toEqualTypeOf<ProConnectUser>();
        expectTypeOf(req).toEqualTypeOf<Request>();
        expectTypeOf(res).toEqualTypeOf<Response>();
        expectTypeOf(instance).toEqualTypeOf<string | undefined>();
        session.proconnect = undefined;
      },
      onLogout: async (_user, context) => {
        expectTypeOf(context).toEqualTypeOf<ProConnectHookContext>();
      },
      keepSessionKeys: ["locale"],
      returnTo: (req) => req.get("x-original-uri"),
    });
    proconnect({ ...base, onLogin: async (user) => ({ ...user, accountId: "a" }) });
  });
});
