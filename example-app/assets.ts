import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// The pages' CSS, built once at start-up: the DSFR's core, only the components and icons the pages
// use, and the example's own few rules, in one file whose name holds a hash of its content. Browsers
// keep it (and the DSFR's fonts and scripts, under a path holding the DSFR's version) for a year
// without asking again; a new version gets a new URL.

const DSFR_PACKAGE = createRequire(import.meta.url).resolve("@gouvfr/dsfr/package.json");
const DSFR_ROOT = dirname(DSFR_PACKAGE);
export const DSFR_VERSION = (JSON.parse(readFileSync(DSFR_PACKAGE, "utf8")) as { version: string })
  .version;
/** The DSFR's `dist/` folder, served as is under {@link DSFR_URL}. */
export const DSFR_DIST = join(DSFR_ROOT, "dist");
/** Where the DSFR is served: its version in the path, so that it can be cached as immutable. */
export const DSFR_URL = `/dsfr/${DSFR_VERSION}`;

/**
 * The DSFR components the pages use (`dist/component/<name>/<name>.min.css`). A page using another
 * component must add it here: the test "lists every DSFR component and icon the pages use" says which.
 */
export const DSFR_COMPONENTS = [
  "skiplink",
  "link",
  "button",
  "connect",
  "logo",
  "header",
  "modal",
  "notice",
  "alert",
  "callout",
  "table",
  "form",
  "footer",
] as const;

/** The `fr-icon-*` classes the pages use, taken from the 356 KB of `utility/icons/icons.min.css`. */
export const DSFR_ICONS = [
  "account-circle-line",
  "logout-box-r-line",
  "arrow-right-line",
  "arrow-left-line",
] as const;

const OWN_CSS = fileURLToPath(new URL("public/app.css", import.meta.url));

/** `url(…)` in a file of `dist/`, made absolute under {@link DSFR_URL}, where the static route serves it. */
function absoluteUrls(css: string, file: string): string {
  const base = `http://dsfr.invalid${DSFR_URL}/${file}`;
  return css.replace(/url\((["']?)([^"')]+)\1\)/g, (whole, _quote: string, ref: string) =>
    ref.startsWith("data:") ? whole : `url(${new URL(ref, base).pathname})`,
  );
}

function dsfrFile(file: string): string {
  const css = readFileSync(join(DSFR_DIST, file), "utf8")
    .replace(/\/\*# sourceMappingURL=[^*]*\*\//g, "")
    .replace(/@charset "UTF-8";/g, "");
  return absoluteUrls(css, file);
}

function iconRules(): string {
  const file = "utility/icons/icons.min.css";
  const css = readFileSync(join(DSFR_DIST, file), "utf8");
  return DSFR_ICONS.map((icon) => {
    const name = `.fr-icon-${icon}`;
    // The first rule for the icon is its mask; the second, in a forced-colors media query, an image.
    const rule = new RegExp(`\\${name}:after,\\${name}:before\\{[^}]*\\}`).exec(css)?.[0];
    if (!rule) throw new Error(`the DSFR ${DSFR_VERSION} has no icon ${icon}`);
    return absoluteUrls(rule, file);
  }).join("\n");
}

export interface Stylesheet {
  /** Its URL: `/static/site.<hash>.css`. */
  path: string;
  body: string;
}

/** The one stylesheet of every page. */
export function buildStylesheet(): Stylesheet {
  const body = [
    `@charset "UTF-8";`,
    dsfrFile("core/core.min.css"),
    ...DSFR_COMPONENTS.map((name) => dsfrFile(`component/${name}/${name}.min.css`)),
    iconRules(),
    readFileSync(OWN_CSS, "utf8"),
  ].join("\n");
  const hash = createHash("sha256").update(body).digest("hex").slice(0, 12);
  return { path: `/static/site.${hash}.css`, body };
}
