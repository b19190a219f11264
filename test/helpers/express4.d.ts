// Express 4, installed under the alias "express4" beside Express 5: typed as Express (@types/express),
// whose API the tests use is the same on both.
declare module "express4" {
  import express from "express";
  export default express;
}
