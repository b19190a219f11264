import type { interactionPolicy as InteractionPolicy, KoaContextWithOIDC } from "oidc-provider";

// ProConnect's server runs oidc-provider 7, whose assign_claims.js *merges* `acr_values` into the
// claims parameter's `id_token.acr` (lodash `set` of `id_token.acr.values`): an essential acr asked
// for with `claims` stays essential, and the `acr_values` become its `values`, essential too
// (connexion-acr.feature, "acr_values et acr exigé demandés simultanément"). oidc-provider 9 replaces
// `id_token.acr` with `{ values }` instead, which drops `essential`. The login prompt's two acr checks
// are given back the merged request; they are otherwise oidc-provider's own.

type AcrRequest = { essential?: unknown; value?: unknown; values?: unknown };

/**
 * The acr request as oidc-provider 7 builds it when `acr_values` and an object `claims.id_token.acr`
 * are both sent; undefined otherwise (oidc-provider 9's request is then the same).
 */
export function mergedAcrRequest(ctx: KoaContextWithOIDC): AcrRequest | undefined {
  const { params } = ctx.oidc;
  const acrValues = params?.acr_values;
  if (typeof acrValues !== "string" || acrValues === "" || typeof params?.claims !== "string") {
    return undefined;
  }
  try {
    const asked = (JSON.parse(params.claims) as { id_token?: { acr?: unknown } }).id_token?.acr;
    if (asked && typeof asked === "object" && !Array.isArray(asked)) {
      return { ...(asked as AcrRequest), values: acrValues.split(" ") };
    }
  } catch {
    // oidc-provider has already refused a claims parameter that is not JSON.
  }
  return undefined;
}

/** oidc-provider's default policy, its `essential_acrs` and `essential_acr` checks reading the merged request. */
export function proconnectPolicy(policy: typeof InteractionPolicy) {
  const prompts = policy.base();
  const login = prompts.get("login");
  for (const check of login?.checks ?? []) {
    const { check: original, details: originalDetails } = check;
    let unmet: ((request: AcrRequest, acr: unknown) => boolean) | undefined;
    if (check.reason === "essential_acrs") {
      unmet = (request, acr) =>
        Boolean(request.essential) &&
        Array.isArray(request.values) &&
        !request.values.includes(acr);
    } else if (check.reason === "essential_acr") {
      unmet = (request, acr) =>
        Boolean(request.essential) && Boolean(request.value) && request.value !== acr;
    }
    if (!unmet) continue;
    const test = unmet;
    check.check = (ctx) => {
      const merged = mergedAcrRequest(ctx);
      return merged ? test(merged, ctx.oidc.acr) : original(ctx);
    };
    check.details = (ctx) => {
      const merged = mergedAcrRequest(ctx);
      return merged ? { acr: merged } : originalDetails(ctx);
    };
  }
  return prompts;
}
