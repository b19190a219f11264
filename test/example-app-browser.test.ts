import { copyFile, mkdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startExample, type RunningExample } from "../example-app/server.js";
import { chromiumAvailable, launchChromium, type Chromium } from "./helpers/chromium.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const SCREENSHOT = `${root}test-results/profile-page.png`;
/** The README's image: refreshed when UPDATE_SCREENSHOTS=1. */
const README_SCREENSHOT = `${root}docs/profile-page.png`;

/** Writes a screenshot to test-results/, and to docs/ with UPDATE_SCREENSHOTS=1; checks it is a PNG. */
async function screenshot(name: string, take: (path: string) => Promise<unknown>) {
  const path = `${root}test-results/${name}`;
  await mkdir(`${root}test-results`, { recursive: true });
  await take(path);
  if (process.env.UPDATE_SCREENSHOTS === "1") await copyFile(path, `${root}docs/${name}`);
  const png = await readFile(path);
  expect(png.subarray(1, 4).toString()).toBe("PNG");
}

describe.runIf(chromiumAvailable())("example app in a real browser (chromium)", () => {
  let example: RunningExample;
  let chromium: Chromium;
  let page: Page;
  let emulatorOrigin: string;
  const warnings: string[] = [];
  /** CSP violations, script errors and app assets that failed to load, as the browser saw them. */
  const browserProblems: string[] = [];

  beforeAll(async () => {
    example = await startExample(
      { PORT: "0", EMULATOR_PORT: "0" },
      { logger: { warn: (line: string) => warnings.push(line), error: console.error } },
    );
    emulatorOrigin = new URL(example.issuer).origin;
    chromium = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await chromium?.close();
    await example?.close();
  });
  beforeEach(async () => {
    await chromium.context.clearCookies();
    page = await chromium.context.newPage();
    browserProblems.length = 0;
    page.on("console", (message) => {
      if (/Content.Security.Policy/i.test(message.text())) browserProblems.push(message.text());
    });
    // The app's own assets (DSFR, CSS, scripts) must all load; error pages are documents, expected.
    page.on("response", (response) => {
      const { url, status } = { url: response.url(), status: response.status() };
      if (
        url.startsWith(example.url) &&
        status >= 400 &&
        response.request().resourceType() !== "document"
      ) {
        browserProblems.push(`${status} ${url}`);
      }
    });
    // A request the browser cancels because the test moved on (a preloaded font of the page it left)
    // is no fault of the app: net::ERR_ABORTED. Any other failure is.
    page.on("requestfailed", (request) => {
      const reason = request.failure()?.errorText ?? "";
      if (reason !== "net::ERR_ABORTED") browserProblems.push(`failed: ${request.url()} ${reason}`);
    });
    page.on("pageerror", (error) => browserProblems.push(String(error)));
    return () => page.close();
  });

  const onEmulatorLogin = (url: URL) =>
    url.origin === emulatorOrigin && url.pathname.includes("/interaction/");

  /** Fills the emulator's login page, as a person would. */
  async function signInOnEmulator(email: string) {
    await page.waitForURL(onEmulatorLogin);
    await page.getByLabel("Adresse e-mail professionnelle").fill(email);
    await page.getByRole("button", { name: "Se connecter", exact: true }).click();
  }

  it("home → ProConnect button → login as test@fia1.fr → profile → logout through ProConnect → anonymous", async () => {
    await page.goto(example.url);
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe(
      "Bienvenue sur le service d'exemple",
    );
    const about = page.getByRole("link", { name: "Qu’est-ce que ProConnect ?" });
    expect(await about.getAttribute("href")).toBe("https://www.proconnect.gouv.fr/");
    expect(await about.getAttribute("target")).toBe("_blank");

    await page.getByRole("button", { name: "S’identifier avec ProConnect" }).click();
    await signInOnEmulator("test@fia1.fr");
    await page.waitForURL(`${example.url}/`);
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toMatch(
      /^Bonjour Angela Claire Louise/,
    );

    await page.getByRole("link", { name: "Mon profil", exact: true }).click();
    await page.waitForURL(`${example.url}/profil`);
    const value = (field: string) =>
      page.locator(`tr[data-field="${field}"] td`).last().textContent();
    const identity = example.emulator!.identities.find(({ email }) => email === "test@fia1.fr")!;
    expect(await value("siret")).toBe("13002526500013");
    expect(await value("idp_id")).toBe("fia1v2");
    expect(await value("sub")).toBe(identity.sub);
    expect(await value("email")).toBe("test@fia1.fr");
    await mkdir(`${root}test-results`, { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    if (process.env.UPDATE_SCREENSHOTS === "1") {
      await mkdir(`${root}docs`, { recursive: true });
      await copyFile(SCREENSHOT, README_SCREENSHOT);
    }
    const png = await readFile(SCREENSHOT);
    expect(png.subarray(1, 4).toString()).toBe("PNG");

    // On a phone: the table fits the screen, every value in sight.
    await page.setViewportSize({ width: 375, height: 812 });
    await screenshot("profile-page-375.png", (path) => page.screenshot({ path, fullPage: true }));
    await page.setViewportSize({ width: 1280, height: 900 });
    await screenshot("footer.png", (path) => page.locator("footer").screenshot({ path }));

    await page.getByRole("button", { name: "Se déconnecter" }).first().click();
    // The way back from ProConnect's end_session: /logout/callback, then home.
    await page.waitForURL(`${example.url}/`);
    await expect(
      page.getByRole("button", { name: "S’identifier avec ProConnect" }).count(),
    ).resolves.toBe(1);
    const me = await page.request.get(`${example.url}/api/me`);
    expect(me.status()).toBe(401);

    // ProConnect's session ended too: signing in again asks who you are.
    await page.getByRole("button", { name: "S’identifier avec ProConnect" }).click();
    await page.waitForURL(onEmulatorLogin);
    expect(browserProblems).toEqual([]);
  });

  const heading = () => page.getByRole("heading", { level: 1 }).textContent();
  /**
   * Opens a page that needs a login, signs in on the emulator, and waits to be back on that page: its
   * heading.
   */
  async function visitSignedIn(path: string, email: string) {
    await page.goto(`${example.url}${path}`);
    await signInOnEmulator(email);
    await page.waitForURL(`${example.url}${path}`);
    return heading();
  }

  it("sends an anonymous visitor of « Mon profil » through login and back to the profile", async () => {
    expect(await visitSignedIn("/profil", "test@fia1.fr")).toBe("Mon profil");
    expect(browserProblems).toEqual([]);
  });

  it("shows the French error page when the identity provider refuses (certification dirigeant)", async () => {
    await visitSignedIn("/profil", "test@fia1.fr");
    await page.goto(example.url);
    // test@fia1.fr's FI cannot certify a company head: ProConnect answers access_denied.
    await page.getByRole("link", { name: /^Espace dirigeant/ }).click();
    await signInOnEmulator("test@fia1.fr");
    await page.waitForURL((url) => url.href.startsWith(`${example.url}/callback?`));
    expect(await heading()).toBe("Connexion refusée");
    expect(await page.locator("[data-error-code]").getAttribute("data-error-code")).toBe(
      "access_denied",
    );
    await expect(page.getByText("Code technique : access_denied").count()).resolves.toBe(1);
    // « Réessayer » starts the same login again: the page asked for, at the level it requires.
    const retry = new URL(
      (await page.getByRole("link", { name: "Réessayer la connexion" }).getAttribute("href"))!,
      example.url,
    );
    expect(retry.pathname).toBe("/login");
    expect(retry.searchParams.get("returnTo")).toBe("/dirigeant");
    expect(retry.searchParams.get("acr")).toBe(
      "https://proconnect.gouv.fr/assurance/certification-dirigeant",
    );
    expect(warnings.some((line) => line.includes("access_denied"))).toBe(true);
    expect(browserProblems).toEqual([]);
  });

  it("lets a company head through the same page once certified (step-up)", async () => {
    expect(await visitSignedIn("/dirigeant", "marie.lefevre@yopmail.com")).toBe("Espace dirigeant");
    expect(browserProblems).toEqual([]);
  });

  it("shows « Mes documents », which the app fetched from its API with the person's access token", async () => {
    expect(await visitSignedIn("/documents", "test@fia1.fr")).toBe("Mes documents");
    const identity = example.emulator!.identities.find(({ email }) => email === "test@fia1.fr")!;
    // The API's own answer, after introspecting the token at the emulator: the person's sub.
    expect(await page.locator("[data-api-sub]").textContent()).toBe(identity.sub);
    expect(await page.locator("[data-api-answer] li").count()).toBeGreaterThan(0);
    expect(browserProblems).toEqual([]);
  });

  it("goes through « Espace sécurisé » as a person would: the e-mail code read on the emulator's page, typed, then the page at eidas1-mfa", async () => {
    await page.goto(example.url);
    await page.getByRole("button", { name: "S’identifier avec ProConnect" }).click();
    await signInOnEmulator("test@fia1.fr");
    await page.waitForURL(`${example.url}/`);
    // Signed in without MFA: the page asks for more, and ProConnect asks who signs in again.
    await page.getByRole("link", { name: /^Espace sécurisé/ }).click();
    await signInOnEmulator("test@fia1.fr");
    // ProConnect's one-time code step, as test@fia1.fr's identity provider cannot do MFA.
    await page.waitForURL((url) => url.pathname.endsWith("/verification-email"));
    // The emulator's development notice: what a person sees, not TestBrowser's mailbox.
    const notice = page.getByRole("region", { name: /^Émulateur local, pas ProConnect/ });
    expect(await notice.isVisible()).toBe(true);
    const text = await notice.innerText();
    expect(text).toContain("En production, ProConnect envoie ce code par e-mail");
    const code = /Code envoyé à test@fia1\.fr : (\d{8})/.exec(text)?.[1];
    expect(code, text).toMatch(/^\d{8}$/);
    await page.getByLabel("Code de confirmation").fill(code!);
    await page.getByRole("button", { name: "Continuer" }).click();
    await page.waitForURL(`${example.url}/securise`);
    expect(await heading()).toBe("Espace sécurisé");
    await expect(page.getByText("eidas1-mfa").count()).resolves.toBeGreaterThan(0);
    expect(browserProblems).toEqual([]);
  });
});
