import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startExample, type RunningExample } from "../example-app/server.js";
import { chromiumAvailable, launchChromium, type Chromium } from "./helpers/chromium.js";

/** What the audit checks: WCAG 2.1 A and AA (RGAA 4 follows them) and axe's best practices. */
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"];
const WIDTHS = [1280, 375, 320] as const;
const SCHEMES = ["light", "dark"] as const;
const AXE_OPTIONS = { runOnly: { type: "tag", values: TAGS }, resultTypes: ["violations"] };
const AFTER_TWO_FRAMES = `new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))`;

interface AxeNode {
  target: string[];
}
interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: AxeNode[];
}

describe.runIf(chromiumAvailable())("example app and emulator pages: axe-core, keyboard", () => {
  let example: RunningExample;
  let chromium: Chromium;
  let page: Page;
  let axeSource: string;
  let emulatorOrigin: string;
  /** Every page audited, and what axe found on it, for the final assertions. */
  const audited: string[] = [];

  beforeAll(async () => {
    const require = createRequire(import.meta.url);
    axeSource = await readFile(require.resolve("axe-core/axe.min.js"), "utf8");
    example = await startExample(
      { PORT: "0", EMULATOR_PORT: "0" },
      { logger: { warn: () => undefined, error: console.error } },
    );
    emulatorOrigin = new URL(example.issuer).origin;
    chromium = await launchChromium();
    page = await chromium.context.newPage();
  }, 60_000);
  afterAll(async () => {
    await chromium?.close();
    await example?.close();
  });

  const onEmulatorLogin = (url: URL) =>
    url.origin === emulatorOrigin && /\/interaction\/[^/]+(\/login)?$/.test(url.pathname);

  /** Waits for an expression to be true (waitForFunction would need the 'unsafe-eval' the CSP refuses). */
  async function until(expression: string) {
    for (let tries = 0; !(await page.evaluate<boolean>(expression)); tries++) {
      if (tries === 100) throw new Error(`still false after 5 s: ${expression}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /**
   * axe on the page as it is, at each width and in light and dark mode, without reloading it (the
   * emulator's pages are one-shot): the list of violations, one line per rule and place.
   */
  async function audit(name: string): Promise<string[]> {
    audited.push(name);
    const found: string[] = [];
    // Injected by the DevTools protocol, which the page's CSP (script-src 'self') does not govern.
    if (!(await page.evaluate("typeof window.axe === 'object'"))) await page.evaluate(axeSource);
    const dsfr = await page.evaluate<boolean>(
      `document.documentElement.hasAttribute("data-fr-scheme")`,
    );
    for (const scheme of SCHEMES) {
      await page.emulateMedia({ colorScheme: scheme });
      // The DSFR's script turns data-fr-scheme="system" into the theme of prefers-color-scheme.
      if (dsfr) {
        await until(`document.documentElement.getAttribute("data-fr-theme") === "${scheme}"`);
      }
      for (const width of WIDTHS) {
        await page.setViewportSize({ width, height: 800 });
        // The DSFR's scripts adapt the header to the width on the next frames: audit what stays.
        await page.evaluate(AFTER_TWO_FRAMES);
        const violations = await page.evaluate<AxeViolation[]>(
          `axe.run(document, ${JSON.stringify(AXE_OPTIONS)}).then((results) => results.violations)`,
        );
        for (const violation of violations) {
          const where = violation.nodes
            .slice(0, 3)
            .map((node) => node.target.join(" "))
            .join(", ");
          found.push(
            `${name} @${width}px ${scheme}: ${violation.id} (${violation.impact}) ${violation.help} — ${where}${violation.nodes.length > 3 ? ` (+${violation.nodes.length - 3})` : ""}`,
          );
        }
      }
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.emulateMedia({ colorScheme: "light" });
    return found;
  }

  async function visit(path: string, name: string): Promise<string[]> {
    await page.goto(`${example.url}${path}`);
    return audit(name);
  }

  async function signInOnEmulator(email: string) {
    await page.waitForURL(onEmulatorLogin);
    await page.getByLabel("Adresse e-mail professionnelle").fill(email);
    await page.getByRole("button", { name: "Se connecter", exact: true }).click();
  }

  it("finds nothing on the anonymous pages, the 404, the legal pages and the error pages", async () => {
    await chromium.context.clearCookies();
    const found = [
      ...(await visit("/", "home (anonymous)")),
      ...(await visit("/nulle-part", "404")),
      ...(await visit("/accessibilite", "déclaration d'accessibilité")),
      ...(await visit("/mentions-legales", "mentions légales")),
      ...(await visit("/donnees-personnelles", "données personnelles")),
      // Error pages through the real routes: each code renders the same page with its own text.
      ...(await visit("/callback", "error: callback without parameters")),
      ...(await visit("/callback?state=inconnu&code=x", "error: invalid_state")),
      ...(await visit("/logout", "error: method_not_allowed")),
      ...(await visit("/login?prompt=jamais", "error: invalid_login_request")),
    ];
    expect(found).toEqual([]);
  }, 120_000);

  it("finds nothing on the emulator's pages and on the signed-in pages", async () => {
    await chromium.context.clearCookies();
    const found: string[] = [];
    await page.goto(`${example.url}/profil`);
    await page.waitForURL(onEmulatorLogin);
    found.push(...(await audit("emulator: login page")));
    // A wrong address: the same page with its error.
    await page.getByLabel("Adresse e-mail professionnelle").fill("personne@exemple.fr");
    await page.getByRole("button", { name: "Se connecter", exact: true }).click();
    await page.getByRole("alert").waitFor();
    found.push(...(await audit("emulator: login page with an error")));
    await signInOnEmulator("test@fia1.fr");
    await page.waitForURL(`${example.url}/profil`);
    found.push(...(await audit("profile")));
    // At 320 px the table fits: no value out of sight, nothing to scroll sideways.
    await page.setViewportSize({ width: 320, height: 800 });
    await page.evaluate(AFTER_TWO_FRAMES);
    const overflow = await page.evaluate<number[]>(
      `[document.documentElement, document.querySelector(".fr-table__container")].map((e) => e.scrollWidth - e.clientWidth)`,
    );
    expect(overflow).toEqual([0, 0]);
    await page.setViewportSize({ width: 1280, height: 900 });
    found.push(...(await visit("/", "home (signed in)")));
    found.push(...(await visit("/documents", "documents")));

    // test@fia1.fr cannot reach the certification dirigeant: access_denied, signed in.
    await page.goto(`${example.url}/dirigeant`);
    await signInOnEmulator("test@fia1.fr");
    await page.waitForURL((url) => url.pathname === "/callback");
    found.push(...(await audit("error: access_denied")));

    // MFA: ProConnect's e-mail code page.
    await page.goto(`${example.url}/securise`);
    await signInOnEmulator("test@fia1.fr");
    await page.waitForURL((url) => url.pathname.endsWith("/verification-email"));
    // Audited with the emulator's development notice that shows the code.
    await page.getByRole("region", { name: /^Émulateur local, pas ProConnect/ }).waitFor();
    found.push(...(await audit("emulator: e-mail code page")));
    await page.getByRole("textbox").fill("00000000");
    await page.getByRole("button", { name: "Continuer" }).click();
    await page.getByRole("alert").waitFor();
    found.push(...(await audit("emulator: e-mail code page with an error")));
    await page.getByRole("textbox").fill(example.emulator!.lastEmailCode("test@fia1.fr")!);
    await page.getByRole("button", { name: "Continuer" }).click();
    await page.waitForURL(`${example.url}/securise`);
    found.push(...(await audit("secure area (MFA)")));

    await chromium.context.clearCookies();
    await page.goto(`${example.url}/dirigeant`);
    await signInOnEmulator("marie.lefevre@yopmail.com");
    await page.waitForURL(`${example.url}/dirigeant`);
    found.push(...(await audit("company head area")));

    await page.goto(`${example.issuer}/nulle-part`);
    found.push(...(await audit("emulator: error page")));
    expect(found).toEqual([]);
  }, 120_000);

  it("audited every page", () => {
    expect(audited).toHaveLength(20);
  });

  /** Presses Tab until the focused element's accessible text matches, as a keyboard user would. */
  async function tabTo(text: RegExp, max = 40) {
    for (let i = 0; i < max; i++) {
      await page.keyboard.press("Tab");
      const focused = await page.evaluate<string>(
        `(({ activeElement: e }) => e ? [e.innerText, e.getAttribute("aria-label"), e.id].join(" ") : "")(document)`,
      );
      if (text.test(focused)) return;
    }
    throw new Error(`no focusable element matching ${text} within ${max} Tab presses`);
  }

  it("signs in and out with the keyboard only (Tab and Enter)", async () => {
    await chromium.context.clearCookies();
    await page.goto(example.url);
    await tabTo(/S’identifier avec\s*ProConnect/);
    await page.keyboard.press("Enter");
    await page.waitForURL(onEmulatorLogin);
    await tabTo(/\bemail\b/);
    await page.keyboard.type("test@fia1.fr");
    await tabTo(/^Se connecter/);
    await page.keyboard.press("Enter");
    await page.waitForURL(`${example.url}/`);
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toMatch(/^Bonjour/);
    await tabTo(/^Se déconnecter/);
    await page.keyboard.press("Enter");
    // Through ProConnect's logout and back: the anonymous home page again.
    await page.getByRole("button", { name: "S’identifier avec ProConnect" }).waitFor();
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe(
      "Bienvenue sur le service d'exemple",
    );
  });
});
