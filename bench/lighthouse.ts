/*
 * npm run lighthouse: the example app, with its local emulator, audited by Lighthouse as a phone on a
 * slow 4G line sees it (Lighthouse's default mobile settings: simulated throttling, Moto G Power
 * screen), on the home page and on « Mon profil » (signed in as test@fia1.fr, the session cookie sent
 * with every request). Prints the four scores of each page and the metrics behind performance.
 *
 * Not part of npm test: scores move with the machine. Needs Debian's chromium (CHROME_PATH, by default
 * /usr/bin/chromium). Nothing leaves the machine: the app, the emulator and the DSFR are all local.
 */
import * as chromeLauncher from "chrome-launcher";
import lighthouse from "lighthouse";
import { signIn } from "../lib/testing/index.js";
import { startExample } from "../example-app/server.js";

const CHROME_PATH = process.env.CHROME_PATH ?? process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CATEGORIES = ["performance", "accessibility", "best-practices", "seo"] as const;
const METRICS = [
  "first-contentful-paint",
  "largest-contentful-paint",
  "total-blocking-time",
  "cumulative-layout-shift",
  "speed-index",
] as const;

const example = await startExample(
  { PORT: "0", EMULATOR_PORT: "0" },
  { logger: { warn: () => undefined, error: console.error } },
);
const chrome = await chromeLauncher.launch({
  chromePath: CHROME_PATH,
  chromeFlags: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
  ],
});
let failed = false;
try {
  const browser = await signIn(example.url, "test@fia1.fr");
  const pages: { name: string; url: string; headers: Record<string, string> }[] = [
    { name: "home (/)", url: `${example.url}/`, headers: {} },
    {
      name: "profile (/profil)",
      url: `${example.url}/profil`,
      headers: { Cookie: browser.cookieHeader(example.url) },
    },
  ];
  console.log(`Lighthouse, mobile (simulated slow 4G), chromium at ${CHROME_PATH}`);
  const audit = (page: (typeof pages)[number]) =>
    lighthouse(page.url, {
      port: chrome.port,
      output: "json",
      logLevel: "error",
      onlyCategories: [...CATEGORIES],
      extraHeaders: page.headers,
    });
  for (const page of pages) {
    let result = await audit(page);
    // A fresh chromium's first trace sometimes misses its start (NO_NAVSTART): once more.
    if (result?.lhr.runtimeError) result = await audit(page);
    const lhr = result?.lhr;
    if (!lhr) throw new Error(`Lighthouse returned nothing for ${page.url}`);
    if (lhr.runtimeError) {
      failed = true;
      console.log(`${page.name}: ${lhr.runtimeError.code} ${lhr.runtimeError.message}`);
      continue;
    }
    // A page that did not end where asked (a login redirect) would be scored for the wrong page.
    if (lhr.finalDisplayedUrl !== page.url) {
      failed = true;
      console.log(`${page.name}: ended at ${lhr.finalDisplayedUrl}, not ${page.url}`);
    }
    const scores = CATEGORIES.map(
      (category) => `${category} ${Math.round((lhr.categories[category]?.score ?? 0) * 100)}`,
    );
    const metrics = METRICS.map((metric) => `${metric} ${lhr.audits[metric]?.displayValue ?? "?"}`);
    console.log(`${page.name}: ${scores.join(", ")}`);
    console.log(`  ${metrics.join(", ")}`);
    for (const category of CATEGORIES) {
      for (const ref of lhr.categories[category]?.auditRefs ?? []) {
        const found = lhr.audits[ref.id];
        if (ref.weight > 0 && found && found.score !== null && found.score < 0.9) {
          console.log(`  ${category}: ${found.id} ${found.score} ${found.displayValue ?? ""}`);
        }
      }
    }
  }
} finally {
  chrome.kill();
  await example.close();
}
process.exit(failed ? 1 : 0);
