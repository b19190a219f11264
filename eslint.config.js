import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "coverage/", "node_modules/", "example-app/public/vendor/"] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    rules: {
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
    },
  },
  {
    // Functions short enough to read at once: a longer one is several steps that want names.
    files: ["lib/**/*.ts", "cli/**/*.ts"],
    rules: { "max-lines-per-function": ["error", { max: 100 }] },
  },
  {
    // In tests a wrong assumption fails the test anyway; `!` keeps them readable.
    files: ["test/**"],
    rules: { "@typescript-eslint/no-non-null-assertion": "off" },
  },
  {
    // The runners' recipes of docs/testing.md, in plain JavaScript as users write them.
    files: ["test/recipes/**/*.{cjs,mjs}"],
    languageOptions: { globals: { process: "readonly", URL: "readonly" } },
  },
  {
    // Jest's CommonJS recipe: require() and Jest's globals.
    files: ["test/recipes/jest-commonjs.test.cjs"],
    languageOptions: {
      sourceType: "commonjs",
      globals: Object.fromEntries(
        ["require", "beforeAll", "afterAll", "test", "expect"].map((name) => [name, "readonly"]),
      ),
    },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
