// The public surface of `proconnect-express`. Nothing here may load `oidc-provider`: the emulator lives
// behind the `proconnect-express/testing` subpath only.
export {
  PROCONNECT_ISSUERS,
  proconnectIssuer,
  type ProConnectEnvironment,
  type ProConnectNetwork,
} from "./issuers.js";
export { isValidSiret, normalizeSiret } from "./siret.js";
