// `proconnect-express/testing`: a local ProConnect for tests and offline development.
export { startProConnectEmulator, type ProConnectEmulator } from "./emulator.js";
export { TestBrowser, type NavigateOptions, type Page, type PlaywrightCookie } from "./browser.js";
export {
  serveTestApp,
  signIn,
  type EmulatorConnection,
  type ServeTestAppOptions,
  type SignInOptions,
  type TestAppServer,
} from "./test-app.js";
export { DEFAULT_IDENTITIES } from "./identities.js";
export { ACR_VALUES, CERTIFICATION_DIRIGEANT } from "../acr.js";
export { PROCONNECT_AUTHORIZE_PARAMS } from "./authorize-params.js";
export { SIGNING_ALGS, type SigningAlg } from "../algorithms.js";
export {
  type ClaimsUse,
  type EmailCodeSent,
  type EmulatorClient,
  type EmulatorClientInput,
  type EmulatorIdentity,
  type EmulatorIdentityInput,
  type EmulatorOptions,
  type EmulatorTamper,
  type BackChannelEndpoint,
  type EmulatorFault,
  type TamperContext,
  type TamperedBody,
  type OrganizationKind,
} from "./options.js";
