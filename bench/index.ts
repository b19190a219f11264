/*
 * npm run bench: everything side by side in one run, then a table. Not a test: nothing fails on a
 * timing, but each target is reported as met or not.
 *
 * Processes as in production: the local ProConnect (bench/provider.ts), the relying parties
 * (bench/relying-parties.ts), and this one, which drives them (autocannon, TestBrowser). Real HTTP on the
 * loopback, real openid-client, jose and crypto: nothing is stubbed.
 *
 * 1. Requests/s on a protected JSON route: proconnect() + requireAuth() against the same route on bare
 *    express + express-session (same MemoryStore, same signed-in cookie), in alternating runs, in several
 *    processes of their own (bench/route-pair.ts) started in turn; then the same with other Node.js
 *    binaries if BENCH_NODES names some.
 * 2. Complete logins/s for (a) this project, (b) a client written like ProConnect's official Node test
 *    client, (c) express-openid-connect: one at a time, taking turns login by login; 8 at a time, in
 *    short runs whose order rotates.
 * 3. Back-channel requests to the provider per login after warm-up, per endpoint.
 * 4. Bytes of session per signed-in user.
 * 5. A resource server: requests/s and server CPU per answer of a JSON API behind requireBearer() with a
 *    warm cache against the same route without it (bench/resource-servers.ts), and introspection
 *    requests per 1,000 calls; the same without a cache, for the cost of asking ProConnect every time.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { arch, availableParallelism, homedir, platform } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { EmulatorClientInput } from "../lib/testing/index.js";
import { start } from "./ipc.js";
import { EMAIL, login, rotate, runLogins, takeTurns, type Batch } from "./logins.js";
import type { RpName, Started } from "./relying-parties.js";
import type { RoutePair } from "./route-pair.js";
import { SESSION_COOKIE as EOC_COOKIE } from "./rp-express-openid-connect.js";
import { SESSION_COOKIE as OFFICIAL_COOKIE } from "./rp-official-style.js";
import { SESSION_COOKIE as OUR_COOKIE } from "./rp-proconnect.js";
import type { ResourceServers } from "./resource-servers.js";
import { CONNECTIONS, measure, median, type Run } from "./throughput.js";

// BENCH_QUICK=1 (.ci/run): every section runs, briefly, so that CI catches a broken benchmark within its
// time budget; so few runs make no verdict, and the report says so.
const QUICK = process.env.BENCH_QUICK === "1";
const WARM_UP_LOGINS = 40; // per relying party, 4 at a time: discovery, JWKS, JIT
const ROUTE_WARM_UP_SECONDS = 2;
// The protected-route comparison runs in this many processes in turn, each with its own pair of servers:
// from one process to the next the ratio moves by several hundredths (what V8 compiled, and how), more
// than it moves between the runs of one process. The verdict is the median of the processes' ratios.
const ROUTE_PROCESSES = QUICK ? 2 : 5;
const ROUTE_RUNS = QUICK ? 2 : 6; // per server and process, alternating: A B, B A, A B…
// A verdict needs the processes to agree: past this spread of their ratios (the highest and the lowest
// left out), the run is too noisy.
const ROUTE_MAX_SPREAD = 0.05;
const ROUTE_TARGET = 0.97;
// BENCH_NODES: the route again with other Node.js binaries (comma-separated paths, or "cached" for those
// .ci/run keeps, from the npm registry's `node` package), to see what the runtime does to the ratio
// (docs/performance.md). Off by default: each adds about 85 s. A quick run takes only the last one.
const OTHER_NODES = otherNodes();
// Short runs, so that each pair sees the same machine: its speed drifts over seconds.
const ROUTE_SECONDS = 0.5;
const TURNS_SECONDS = QUICK ? 6 : 18; // one login at a time, the three taking turns
const TURNS_CHUNKS = 12; // the turns are cut in this many consecutive slices: their ratios judge the target
const PARALLEL = 8;
const PARALLEL_RUNS = QUICK ? 3 : 16; // per relying party, in rotating order: a b c, b c a, c a b…
const PARALLEL_SECONDS = 1.5;
const LOGIN_CPU_TARGET = 0.85; // issue 28: at most 0.85× express-openid-connect's CPU per login
const AUDIT_RUNS = QUICK ? 1 : 4; // pairs of (a)'s parallel runs without and with auditLog(pino), alternating
const SESSION_TARGET_BYTES = 4096;
const API_RUNS = QUICK ? 4 : 20; // per server, alternating, ROUTE_SECONDS each
const UNCACHED_RUNS = QUICK ? 1 : 4;
const INTROSPECTION_PATH = "/api/v2/token/introspection";

const RPS: readonly RpName[] = ["proconnect", "official", "eoc"];
const LABEL: Record<RpName, string> = {
  proconnect: "(a) proconnect-express",
  official: "(b) official-style client",
  eoc: "(c) express-openid-connect",
};
const ENDPOINTS = {
  discovery: "/api/v2/.well-known/openid-configuration",
  jwks: "/api/v2/jwks",
  token: "/api/v2/token",
  userinfo: "/api/v2/userinfo",
} as const;
type Endpoint = keyof typeof ENDPOINTS;
const ENDPOINT_NAMES = Object.keys(ENDPOINTS) as Endpoint[];

interface Cpu {
  user: number;
  system: number;
}

/** Logins per second: the value reported (a median, or the overall rate) and the range of the runs. */
interface Rate {
  median: number;
  min: number;
  max: number;
}

/** One at a time: the rate of each consecutive slice of turns too. */
interface TurnsRate extends Rate {
  slices: number[];
}

interface Results {
  /** Per process of the comparison, each run with the server process's CPU time per answer (µs). */
  route: Record<"middleware" | "bare", (Run & { cpuPerRequest: number })[]>[];
  /** The same comparison on each other Node.js version (`process.version`). */
  routeOn: { node: string; route: Results["route"] }[];
  oneAtATime: Record<RpName, TurnsRate>;
  /** Logins/s of each parallel run, by round: round i of one relying party ran next to round i of the others. */
  parallel: Record<RpName, number[]>;
  /** Summed over the parallel runs: back-channel requests per path, CPU ms, logins. */
  usage: Record<
    RpName,
    { paths: Record<string, number>; rpCpu: number; emulatorCpu: number; logins: number }
  >;
  session: Record<RpName, { stored?: number; cookie: number }>;
  refuses: Record<RpName, Record<"id_token" | "userinfo", boolean>>;
  /** Relying-party CPU per login (ms) of each parallel run, by round (round i of each side by side). */
  loginCpu: Record<RpName, number[]>;
  /** (a)'s relying-party CPU per login (ms), each parallel run without and with the pino audit log. */
  audit: { off: number[]; on: number[] };
  /** Section 5: each run with the API process's CPU per answer (µs) and the introspections it caused. */
  api: Record<
    "cached" | "uncached" | "bare",
    (Run & { cpuPerRequest: number; introspections: number })[]
  >;
  seconds: number;
  /** Cores used on average by other processes of the machine during the run, and stolen by its hypervisor. */
  otherLoad?: { cores: number; steal: number };
}

const began = performance.now();
const machineCpuBefore = machineCpu();
const ownCpuBefore = process.cpuUsage();

const provider = start(new URL("./provider.ts", import.meta.url), [
  /oidc-provider WARNING: Unsupported runtime/,
]);
// A process per relying party: the CPU a login costs is read from its own process, not from one shared
// with the others, whose garbage collections would land in its rounds.
const relyingParties = mapRps(() => start(new URL("./relying-parties.ts", import.meta.url)));
const resourceServers = start(new URL("./resource-servers.ts", import.meta.url));
// CPU time of the route comparison's processes, gone by the end: for otherLoad().
let pairCpuMs = 0;

try {
  console.log(report(await run()));
} finally {
  await Promise.all([
    provider.stop(),
    ...RPS.map((rp) => relyingParties[rp].stop()),
    resourceServers.stop(),
  ]);
}

async function run(): Promise<Results> {
  const { issuer } = await provider.call<{ issuer: string }>("info");
  const started = mapRps(() => undefined as Started | undefined);
  for (const rp of RPS) {
    const one = await relyingParties[rp].call<Started>("start", { issuer, rp });
    await provider.call("register", one.client satisfies EmulatorClientInput);
    started[rp] = one;
  }
  const urlOf = (rp: RpName) => started[rp]?.url ?? "";

  progress(`emulator at ${issuer}; warm-up: ${WARM_UP_LOGINS} logins per relying party`);
  for (const rp of RPS) {
    const warmUp = await runLogins(rp, urlOf(rp), 4, { count: WARM_UP_LOGINS });
    if (warmUp.failures.length > 0) {
      throw new Error(
        `${LABEL[rp]}: ${warmUp.failures.length} warm-up logins failed, first: ${warmUp.failures[0]}`,
      );
    }
  }

  progress(
    `protected route: ${ROUTE_PROCESSES} processes in turn, each ${ROUTE_RUNS} runs of ${ROUTE_SECONDS} s per server, alternating`,
  );
  const { route } = await routeProcesses(issuer);
  const routeOn: Results["routeOn"] = [];
  for (const execPath of OTHER_NODES) {
    progress(`protected route with ${execPath}: the same, in ${ROUTE_PROCESSES} processes`);
    routeOn.push(await routeProcesses(issuer, execPath));
  }

  progress(`logins one at a time, taking turns, for ${TURNS_SECONDS} s`);
  const durations = await takeTurns(RPS, urlOf, TURNS_SECONDS);
  const oneAtATime = mapRps((rp) => turnsRate(durations[rp]));

  progress(
    `logins ${PARALLEL} at a time: ${PARALLEL_RUNS} runs of ${PARALLEL_SECONDS} s each, rotating`,
  );
  const batches = mapRps((): Batch[] => []);
  const usage = mapRps(() => ({
    paths: {} as Record<string, number>,
    rpCpu: 0,
    emulatorCpu: 0,
    logins: 0,
  }));
  const loginCpu = mapRps((): number[] => []);
  for (let round = 0; round < PARALLEL_RUNS; round++) {
    for (const rp of rotate(RPS, round)) {
      const before = await snapshot(rp);
      const batch = await runLogins(rp, urlOf(rp), PARALLEL, { seconds: PARALLEL_SECONDS });
      const after = await snapshot(rp);
      if (batch.failures.length > 0) {
        throw new Error(
          `${LABEL[rp]}: ${batch.failures.length} logins failed, first: ${batch.failures[0]}`,
        );
      }
      batches[rp].push(batch);
      for (const [path, count] of Object.entries(after.counts)) {
        const delta = count - (before.counts[path] ?? 0);
        if (delta > 0) usage[rp].paths[path] = (usage[rp].paths[path] ?? 0) + delta;
      }
      usage[rp].rpCpu += cpuMs(after.rpCpu) - cpuMs(before.rpCpu);
      loginCpu[rp].push((cpuMs(after.rpCpu) - cpuMs(before.rpCpu)) / batch.logins);
      usage[rp].emulatorCpu += cpuMs(after.emulatorCpu) - cpuMs(before.emulatorCpu);
      usage[rp].logins += batch.logins;
    }
  }
  const parallel = mapRps((rp) => batches[rp].map((batch) => batch.logins / batch.seconds));
  const audit = await auditCost(urlOf("proconnect"));

  progress("session sizes, then one login each with a forged id_token, and with a forged userinfo");
  const cookieNames: Record<RpName, (name: string) => boolean> = {
    proconnect: (name) => name === OUR_COOKIE,
    official: (name) => name === OFFICIAL_COOKIE,
    eoc: (name) => name === EOC_COOKIE || name.startsWith(`${EOC_COOKIE}.`),
  };
  const session = mapRps((): { stored?: number; cookie: number } => ({ cookie: 0 }));
  for (const rp of RPS) {
    const result = await login(rp, urlOf(rp));
    if (!result.ok) throw new Error(`${LABEL[rp]}: login failed: ${result.detail}`);
    const sent = onlyCookies(result.browser.cookieHeader(urlOf(rp)), cookieNames[rp]);
    session[rp].cookie = Buffer.byteLength(sent);
    if (rp !== "eoc") {
      session[rp].stored = await relyingParties[rp].call<number>("storedBytes", { cookie: sent });
    }
  }

  const refuses = mapRps(() => ({ id_token: false, userinfo: false }));
  for (const forged of ["id_token", "userinfo"] as const) {
    await provider.call("forge", forged);
    for (const rp of RPS) refuses[rp][forged] = !(await login(rp, urlOf(rp))).ok;
  }
  await provider.call("forge", null);

  const api = await resourceServer(issuer);

  return {
    route,
    routeOn,
    api,
    audit,
    loginCpu,
    oneAtATime,
    parallel,
    usage,
    session,
    refuses,
    seconds: (performance.now() - began) / 1000,
    otherLoad: await otherLoad(),
  };
}

/**
 * What the audit trail costs a login: (a)'s parallel runs without and with `auditLog(pino())` (writing
 * to /dev/null, synchronously), alternating; only (a) publishes, so the others are unaffected.
 */
async function auditCost(url: string): Promise<Results["audit"]> {
  progress(
    `audit log: ${AUDIT_RUNS} pairs of (a)'s runs of ${PARALLEL} logins at a time, without and with auditLog(pino)`,
  );
  const cost: Results["audit"] = { off: [], on: [] };
  for (let round = 0; round < AUDIT_RUNS; round++) {
    for (const on of round % 2 === 0 ? [false, true] : [true, false]) {
      await relyingParties.proconnect.call("audit", { on });
      const before = await relyingParties.proconnect.call<Cpu>("cpu");
      const batch = await runLogins("proconnect", url, PARALLEL, { seconds: PARALLEL_SECONDS });
      const after = await relyingParties.proconnect.call<Cpu>("cpu");
      if (batch.failures.length > 0) throw new Error(`audit log: ${batch.failures[0]}`);
      cost[on ? "on" : "off"].push((cpuMs(after) - cpuMs(before)) / batch.logins);
    }
  }
  await relyingParties.proconnect.call("audit", { on: false });
  return cost;
}

/** Section 1, in ROUTE_PROCESSES processes started in turn, with this Node.js or `execPath`. */
async function routeProcesses(
  issuer: string,
  execPath?: string,
): Promise<Results["routeOn"][number]> {
  const route: Results["route"] = [];
  let node = process.version;
  for (let index = 0; index < ROUTE_PROCESSES; index++) {
    const pair = await protectedRoute(issuer, execPath);
    node = pair.node;
    route.push(pair.runs);
  }
  return { node, route };
}

/**
 * Section 1, in a process of its own (this Node.js, or `execPath`): the middleware's protected route and
 * the bare one, same store, same cookie, alternating.
 */
async function protectedRoute(
  issuer: string,
  execPath?: string,
): Promise<{ node: string; runs: Results["route"][number] }> {
  const pair = start(new URL("./route-pair.ts", import.meta.url), [], execPath);
  try {
    const servers = await pair.call<RoutePair>("start", { issuer });
    await provider.call("register", servers.client);
    const signedIn = await login("proconnect", servers.middleware);
    if (!signedIn.ok)
      throw new Error(`sign-in for the route comparison failed: ${signedIn.detail}`);
    // The app's session cookie only: the emulator's share the host (127.0.0.1) but are not compared.
    const cookie = onlyCookies(
      signedIn.browser.cookieHeader(servers.middleware),
      (name) => name === OUR_COOKIE,
    );
    const urls = { middleware: `${servers.middleware}/me`, bare: `${servers.bare}/me` };
    const answers = await Promise.all(
      Object.values(urls).map(async (url) => {
        const response = await fetch(url, { headers: { cookie, accept: "application/json" } });
        return `${response.status} ${await response.text()}`;
      }),
    );
    if (
      answers[0] !== answers[1] ||
      !answers[0]?.startsWith("200 ") ||
      !answers[0].includes(EMAIL)
    ) {
      throw new Error(
        `the two routes do not answer the same signed-in user:\n${answers.join("\n")}`,
      );
    }
    await measure(urls.middleware, cookie, ROUTE_WARM_UP_SECONDS);
    await measure(urls.bare, cookie, ROUTE_WARM_UP_SECONDS);
    const runs: Results["route"][number] = { middleware: [], bare: [] };
    for (let round = 0; round < ROUTE_RUNS; round++) {
      // A B, B A, A B…: neither server always runs first.
      const order =
        round % 2 === 0 ? (["middleware", "bare"] as const) : (["bare", "middleware"] as const);
      for (const which of order) {
        // The servers' process does nothing else meanwhile: its CPU time is this run's.
        const before = await pair.call<Cpu>("cpu");
        const run = await measure(urls[which], cookie, ROUTE_SECONDS);
        const after = await pair.call<Cpu>("cpu");
        runs[which].push({
          ...run,
          cpuPerRequest: ((cpuMs(after) - cpuMs(before)) * 1000) / run.requests,
        });
      }
    }
    pairCpuMs += cpuMs(await pair.call<Cpu>("cpu"));
    return { node: servers.node, runs };
  } finally {
    await pair.stop();
  }
}

/** Section 5: the API behind requireBearer() (warm cache, then none) and the bare one, alternating. */
async function resourceServer(issuer: string): Promise<Results["api"]> {
  const servers = await resourceServers.call<ResourceServers>("start", { issuer });
  for (const client of servers.clients) await provider.call("register", client);
  const token = await resourceServers.call<string>("accessToken", {
    issuer,
    clientId: servers.spClientId,
  });
  const headers = { authorization: `Bearer ${token}` };
  const urls = {
    cached: `${servers.urls.cached}/api/me`,
    uncached: `${servers.urls.uncached}/api/me`,
    bare: `${servers.urls.bare}/api/me`,
  };
  const answers = await Promise.all(
    Object.values(urls).map(async (url) => {
      const response = await fetch(url, { headers });
      return `${response.status} ${await response.text()}`;
    }),
  );
  if (new Set(answers).size !== 1 || !answers[0]?.startsWith("200 ")) {
    throw new Error(`the API routes do not answer the same:\n${answers.join("\n")}`);
  }
  const introspections = async () =>
    (await provider.call<Record<string, number>>("counts"))[INTROSPECTION_PATH] ?? 0;
  const once = async (which: keyof typeof urls) => {
    const [cpuBefore, before] = [await resourceServers.call<Cpu>("cpu"), await introspections()];
    const run = await measure(urls[which], "", ROUTE_SECONDS, headers);
    const [cpuAfter, after] = [await resourceServers.call<Cpu>("cpu"), await introspections()];
    return {
      ...run,
      cpuPerRequest: ((cpuMs(cpuAfter) - cpuMs(cpuBefore)) * 1000) / run.requests,
      introspections: after - before,
    };
  };

  progress(`resource server: ${API_RUNS} runs of ${ROUTE_SECONDS} s per server, alternating`);
  await measure(urls.cached, "", ROUTE_WARM_UP_SECONDS, headers);
  await measure(urls.bare, "", ROUTE_WARM_UP_SECONDS, headers);
  const runs: Results["api"] = { cached: [], uncached: [], bare: [] };
  for (let round = 0; round < API_RUNS; round++) {
    const order = round % 2 === 0 ? (["cached", "bare"] as const) : (["bare", "cached"] as const);
    for (const which of order) runs[which].push(await once(which));
  }
  progress(`resource server without a cache: ${UNCACHED_RUNS} runs of ${ROUTE_SECONDS} s`);
  for (let round = 0; round < UNCACHED_RUNS; round++) runs.uncached.push(await once("uncached"));
  return runs;
}

/** The Node.js binaries BENCH_NODES names. */
function otherNodes(): string[] {
  const listed = process.env.BENCH_NODES ?? "";
  const found =
    listed.trim() === "cached"
      ? cachedNodes()
      : listed
          .split(",")
          .map((path) => path.trim())
          .filter((path) => path !== "");
  const missing = found.filter((path) => !existsSync(path));
  if (missing.length > 0) throw new Error(`BENCH_NODES: no such file: ${missing.join(", ")}`);
  return QUICK ? found.slice(-1) : found;
}

/** The Node.js binaries .ci/run keeps (PROCONNECT_NODE_CACHE), but this one's major. */
function cachedNodes(): string[] {
  const cache =
    process.env.PROCONNECT_NODE_CACHE ?? join(homedir(), ".cache", "proconnect-express", "node");
  const mine = process.versions.node.split(".")[0];
  const majors = existsSync(cache) ? readdirSync(cache) : [];
  return majors
    .filter((major) => /^\d+$/.test(major) && major !== mine)
    .sort((a, b) => Number(a) - Number(b))
    .map((major) => join(cache, major, "node_modules", ".bin", "node"))
    .filter((path) => existsSync(path));
}

/**
 * What the rest of the machine did during the run: its busy CPU time (/proc/stat) minus this run's three
 * processes'. On a shared machine, another job's load makes every number here noisier.
 */
async function otherLoad(): Promise<Results["otherLoad"]> {
  const after = machineCpu();
  if (!machineCpuBefore || !after) return undefined;
  const [emulator, ...rps] = await Promise.all([
    provider.call<Cpu>("cpu"),
    ...RPS.map((rp) => relyingParties[rp].call<Cpu>("cpu")),
  ]);
  const rpMs = rps.reduce((sum, cpu) => sum + cpuMs(cpu), 0);
  const ours = (cpuMs(process.cpuUsage(ownCpuBefore)) + rpMs + cpuMs(emulator) + pairCpuMs) / 1000;
  const elapsed = (performance.now() - began) / 1000;
  const busy = after.busy - machineCpuBefore.busy;
  return {
    cores: Math.max(0, busy - ours) / elapsed,
    steal: (after.steal - machineCpuBefore.steal) / elapsed,
  };
}

/** Busy and stolen CPU seconds of the whole machine since boot (Linux), from /proc/stat's `cpu` line. */
function machineCpu(): { busy: number; steal: number } | undefined {
  try {
    const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]?.trim().split(/\s+/).slice(1);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = (
      fields ?? []
    ).map(Number);
    const ticks = 100; // USER_HZ, 100 on Linux
    return { busy: (user + nice + system + irq + softirq) / ticks, steal: steal / ticks };
  } catch {
    return undefined; // not Linux
  }
}

/** The provider's request counts, `rp`'s process CPU and the provider's. */
async function snapshot(rp: RpName) {
  const [counts, rpCpu, emulatorCpu] = await Promise.all([
    provider.call<Record<string, number>>("counts"),
    relyingParties[rp].call<Cpu>("cpu"),
    provider.call<Cpu>("cpu"),
  ]);
  return { counts, rpCpu, emulatorCpu };
}

// ------------------------------------------------------------------------------------------ helpers

function progress(message: string): void {
  const elapsed = ((performance.now() - began) / 1000).toFixed(0).padStart(3);
  process.stderr.write(`[${elapsed} s] ${message}\n`);
}

function mapRps<T>(value: (rp: RpName) => T): Record<RpName, T> {
  return { proconnect: value("proconnect"), official: value("official"), eoc: value("eoc") };
}

/**
 * A ratio per process of the route comparison, their median, their spread (max − min), and the spread
 * of all but the highest and the lowest: one process out of line (V8 compiled it otherwise) does not
 * move the median, and must not make the run too noisy to judge either.
 */
interface Spread {
  ratios: number[];
  median: number;
  spread: number;
  middleSpread: number;
}

function spreadOf(ratios: number[]): Spread {
  const sorted = [...ratios].sort((a, b) => a - b);
  const middle = sorted.length > 2 ? sorted.slice(1, -1) : sorted;
  return {
    ratios,
    median: median(ratios),
    spread: Math.max(...ratios) - Math.min(...ratios),
    middleSpread: Math.max(...middle) - Math.min(...middle),
  };
}

/**
 * The interval that holds the true median of `values` with at least 90 % confidence,
 * whatever the rounds' distribution: from the k-th lowest to the k-th highest value, k the largest
 * with P(Binomial(n, 1/2) < k) ≤ 5 % (8 rounds: the 2nd to the 7th, 93 %). A verdict needs the whole
 * interval on one side of the target; else the rounds disagree too much to tell.
 */
function medianInterval(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const below = (k: number) => {
    let sum = 0;
    let term = 0.5 ** n; // P(X = 0)
    for (let i = 0; i < k; i++) {
      sum += term;
      term = (term * (n - i)) / (i + 1);
    }
    return sum; // P(X < k)
  };
  let k = 1;
  while (k + 1 <= n / 2 && below(k + 1) <= 0.05) k++;
  return {
    low: sorted[k - 1] ?? NaN,
    high: sorted[n - k] ?? NaN,
    confidence: Math.floor(100 * (1 - 2 * below(k))),
  };
}

/**
 * A timed target's verdict on rounds' ratios: met (or not) when the median's interval lies wholly on
 * one side of the target, else too noisy to tell, with the interval.
 */
function judged(ratios: number[], ok: (value: number) => boolean): string {
  const { low, high, confidence } = medianInterval(ratios);
  if (QUICK || ok(low) === ok(high)) return met(ok(low));
  return `**too noisy for a verdict** (the median's ${confidence} % interval, ${low.toFixed(3)}–${high.toFixed(3)}, reaches past the target)`;
}

/**
 * The protected route's verdict: per process, the median of its paired ratios; then the median of the
 * processes'. Too noisy when the processes but the extreme two disagree by more than ROUTE_MAX_SPREAD,
 * or other jobs used half a core or more meanwhile.
 */
function routeVerdict(route: Results["route"], other: Results["otherLoad"]) {
  const cpu = spreadOf(
    route.map((runs) =>
      pairedRatio(
        runs.bare.map((run) => run.cpuPerRequest),
        runs.middleware.map((run) => run.cpuPerRequest),
      ),
    ),
  );
  const rate = spreadOf(
    route.map((runs) =>
      pairedRatio(
        runs.middleware.map((run) => run.requestsPerSecond),
        runs.bare.map((run) => run.requestsPerSecond),
      ),
    ),
  );
  const addedMicroseconds = median(
    route.flatMap((runs) =>
      runs.middleware.map(
        (run, index) => run.cpuPerRequest - (runs.bare[index]?.cpuPerRequest ?? NaN),
      ),
    ),
  );
  const noisy =
    cpu.middleSpread > ROUTE_MAX_SPREAD
      ? `without the highest and the lowest, the processes' ratios spread over ${cpu.middleSpread.toFixed(3)}, more than ${ROUTE_MAX_SPREAD}`
      : other && other.cores >= 0.5
        ? `other processes used ${other.cores.toFixed(2)} cores`
        : undefined;
  return { cpu, rate, addedMicroseconds, noisy };
}

function cpuMs(usage: Cpu): number {
  return (usage.user + usage.system) / 1000;
}

/**
 * The median of the ratios of runs made next to each other (round i of one against round i of the
 * other): a machine whose speed drifts from one second to the next weighs on both sides of each ratio.
 */
function pairedRatio(ours: number[], theirs: number[]): number {
  return median(ratiosOf(ours, theirs));
}

/** Each run's ratio to the run it was paired with (same round, slice or pair). */
function ratiosOf(ours: number[], theirs: number[]): number[] {
  return ours.map((value, index) => value / (theirs[index] ?? NaN));
}

function rateOf(rates: number[]): Rate {
  return { median: median(rates), min: Math.min(...rates), max: Math.max(...rates) };
}

/** Logins/s one at a time: 1000 / mean duration overall; the range over consecutive slices of turns. */
function turnsRate(durations: number[]): TurnsRate {
  const rate = (slice: number[]) => (slice.length * 1000) / slice.reduce((sum, ms) => sum + ms, 0);
  const size = Math.ceil(durations.length / TURNS_CHUNKS);
  const slices = Array.from({ length: TURNS_CHUNKS }, (_, index) =>
    rate(durations.slice(index * size, (index + 1) * size)),
  ).filter(Number.isFinite);
  return { median: rate(durations), min: Math.min(...slices), max: Math.max(...slices), slices };
}

/** The `name=value` pairs of a Cookie header whose name passes `keep`, as a Cookie header. */
function onlyCookies(header: string, keep: (name: string) => boolean): string {
  return header
    .split("; ")
    .filter((pair) => keep(pair.slice(0, pair.indexOf("="))))
    .join("; ");
}

function machine(): string {
  let model = "unknown CPU";
  try {
    const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
    model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? model;
  } catch {
    // not Linux: the model stays unknown
  }
  return `Node ${process.version}, ${model}, ${availableParallelism()} cores, ${platform()} ${arch()}`;
}

function number(value: number, digits = 0): string {
  return value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** A target's verdict; a quick run gives none on timings (`timed`), only on counts and sizes. */
function met(ok: boolean, timed = true): string {
  if (QUICK && timed) return "no verdict (quick run)";
  return ok ? "**met**" : "**not met**";
}

function report(results: Results): string {
  const { route, usage, session, refuses } = results;
  const lines: string[] = [];
  const line = (text = "") => lines.push(text);
  const now = new Date().toISOString();
  line(`## proconnect-express benchmark, ${now.slice(0, 10)} ${now.slice(11, 16)} UTC`);
  line();
  line(machine());
  line();
  if (QUICK) {
    line(
      "**Quick run** (`BENCH_QUICK=1`, as CI runs it): every section, with few runs. It shows that the benchmark works; its timings are not for reading, and it gives no verdict on them (only on counts and sizes).",
    );
    line();
  }

  // 1.
  const verdict = routeVerdict(route, results.otherLoad);
  line(
    `### 1. Protected JSON route, signed in: autocannon, ${CONNECTIONS} keep-alive connections; ${ROUTE_PROCESSES} processes in turn, each ${ROUTE_RUNS} runs of ${ROUTE_SECONDS} s per server, alternating`,
  );
  line();
  line(
    "| `GET /me` | req/s (median) | range of runs | latency mean / p99 (median, ms) | server CPU per answer (median, µs) |",
  );
  line("| --- | ---: | ---: | ---: | ---: |");
  for (const [label, which] of [
    ["`proconnect()` + `requireAuth()`", "middleware"],
    ["bare express + express-session", "bare"],
  ] as const) {
    const runs = route.flatMap((processRuns) => processRuns[which]);
    const rates = runs.map((run) => run.requestsPerSecond);
    const latency = `${number(median(runs.map((run) => run.mean)), 2)} / ${number(median(runs.map((run) => run.p99)))}`;
    line(
      `| ${label} | ${number(median(rates))} | ${number(Math.min(...rates))}–${number(Math.max(...rates))} | ${latency} | ${number(median(runs.map((run) => run.cpuPerRequest)), 1)} |`,
    );
  }
  line();
  const list = (ratios: number[]) => ratios.map((ratio) => ratio.toFixed(3)).join(", ");
  line(
    `Server CPU per answer, bare / middleware: **${verdict.cpu.median.toFixed(3)}**, the median of the ${ROUTE_PROCESSES} processes' ratios (${list(verdict.cpu.ratios)}; each the median of its ${ROUTE_RUNS} back-to-back pairs), spread ${verdict.cpu.spread.toFixed(3)} (${verdict.cpu.middleSpread.toFixed(3)} without the highest and the lowest): the throughput one CPU can give, which other jobs on the machine disturb less`,
  );
  line();
  line(
    `Ratio of requests/s, middleware / bare: **${verdict.rate.median.toFixed(3)}** (processes: ${list(verdict.rate.ratios)}), spread ${verdict.rate.spread.toFixed(3)}`,
  );
  line();
  // What proconnect() and requireAuth() add to a request, req.proconnectUser and Cache-Control included.
  line(
    `Server CPU the middleware adds per protected request: **${number(verdict.addedMicroseconds, 1)} µs** (median of the pairs' differences, all processes)`,
  );
  line();
  const verdictsOn = results.routeOn.map(({ node, route: runs }) => ({
    node,
    verdict: routeVerdict(runs, results.otherLoad),
  }));
  if (verdictsOn.length > 0) {
    line(
      `The same comparison with the other Node.js binaries of \`BENCH_NODES\`, each in ${ROUTE_PROCESSES} processes of its own (see docs/performance.md, "The route on other Node.js versions"):`,
    );
    line();
    line(
      "| Node.js | server CPU per answer, bare / middleware | processes' ratios | spread without the extremes | CPU added per request (µs) |",
    );
    line("| --- | ---: | --- | ---: | ---: |");
    for (const { node, verdict: on } of verdictsOn) {
      line(
        `| ${node} | **${on.cpu.median.toFixed(3)}** | ${list(on.cpu.ratios)} | ${on.cpu.middleSpread.toFixed(3)} | ${number(on.addedMicroseconds, 1)} |`,
      );
    }
    line();
  }

  // 2 to 4.
  const perLogin = (rp: RpName, endpoint: Endpoint) =>
    (usage[rp].paths[ENDPOINTS[endpoint]] ?? 0) / usage[rp].logins;
  const total = (rp: RpName) => ENDPOINT_NAMES.reduce((sum, name) => sum + perLogin(rp, name), 0);
  const count = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(2));
  const rate = ({ median: middle, min, max }: Rate) =>
    `${number(middle, 1)} (${number(min, 0)}–${number(max, 0)})`;

  line(
    `### 2–4. Complete logins against the local emulator: a new TestBrowser per login as ${EMAIL}, from the app's login route to its page showing the user`,
  );
  line();
  line(`| | ${RPS.map((rp) => LABEL[rp]).join(" | ")} |`);
  line(`| --- | ${RPS.map(() => "---:").join(" | ")} |`);
  const row = (label: string, cell: (rp: RpName) => string) =>
    line(`| ${label} | ${RPS.map(cell).join(" | ")} |`);
  row("Logins/s, 1 at a time (range over slices)", (rp) => rate(results.oneAtATime[rp]));
  row(`Logins/s, ${PARALLEL} at a time (median, range of ${PARALLEL_RUNS} runs)`, (rp) =>
    rate(rateOf(results.parallel[rp])),
  );
  row("Relying party CPU per login (ms)", (rp) => number(usage[rp].rpCpu / usage[rp].logins, 2));
  row("Emulator CPU per login (ms)", (rp) => number(usage[rp].emulatorCpu / usage[rp].logins, 2));
  for (const endpoint of ENDPOINT_NAMES) {
    row(`Back channel per login: ${endpoint}`, (rp) => count(perLogin(rp, endpoint)));
  }
  row("Back channel per login: **total**", (rp) => `**${count(total(rp))}**`);
  row("Session stored server-side (bytes)", (rp) => {
    const stored = session[rp].stored;
    return stored === undefined ? "none" : number(stored);
  });
  row("Session cookie (bytes, sent with every request)", (rp) => number(session[rp].cookie));
  row("Refuses a forged id_token signature", (rp) => (refuses[rp].id_token ? "yes" : "**no**"));
  row("Refuses a forged userinfo signature", (rp) => (refuses[rp].userinfo ? "yes" : "**no**"));
  line();
  const one = results.oneAtATime;
  const ratioOne = (rp: RpName) => one.proconnect.median / one[rp].median;
  const ratioParallel = (rp: RpName) =>
    pairedRatio(results.parallel.proconnect, results.parallel[rp]);
  // Slice by slice (1 at a time: the slices of one relying party ran turn by turn with the others'),
  // and round by round (8 at a time).
  const sliceRatios = (rp: RpName) => ratiosOf(one.proconnect.slices, one[rp].slices);
  const roundRateRatios = (rp: RpName) =>
    ratiosOf(results.parallel.proconnect, results.parallel[rp]);
  line(
    `Logins/s ratios, 1 at a time: (a)/(b) **${ratioOne("official").toFixed(2)}**, (a)/(c) **${ratioOne("eoc").toFixed(2)}**; ${PARALLEL} at a time (median of the rounds' ratios): (a)/(b) **${ratioParallel("official").toFixed(2)}**, (a)/(c) **${ratioParallel("eoc").toFixed(2)}**`,
  );
  line();
  // CPU per login, read from each process, inverted like the route's: above 1, this project costs less.
  const cpuPerLogin = (rp: RpName) => usage[rp].rpCpu / usage[rp].logins;
  const loginCpuRatio = (rp: RpName) => cpuPerLogin(rp) / cpuPerLogin("proconnect");
  // Round by round too: the rounds of one relying party ran beside the same rounds of the others.
  const roundRatios = (rp: RpName) => ratiosOf(results.loginCpu.proconnect, results.loginCpu[rp]);
  const spreadOf = (values: number[]) =>
    `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`;
  line(
    `Relying party CPU per login, other / this project: (b)/(a) **${loginCpuRatio("official").toFixed(2)}**, (c)/(a) **${loginCpuRatio("eoc").toFixed(2)}**; this project / other, median of the ${PARALLEL_RUNS} rounds' ratios (their range): (a)/(b) **${median(roundRatios("official")).toFixed(3)}** (${spreadOf(roundRatios("official"))}), (a)/(c) **${median(roundRatios("eoc")).toFixed(3)}** (${spreadOf(roundRatios("eoc"))})`,
  );
  line();
  const { off, on } = results.audit;
  line(
    `The audit trail (\`auditLog(pino())\`, pino at info): (a)'s CPU per login ${number(median(off), 2)} ms without, ${number(median(on), 2)} ms with (medians of ${off.length} alternating runs of ${PARALLEL} at a time): **${number(median(on) - median(off), 3)} ms** a login, on/off **${(median(on) / median(off)).toFixed(3)}**`,
  );
  line();

  // 5.
  const { api } = results;
  const apiRate = (which: keyof Results["api"]) => api[which].map((run) => run.requestsPerSecond);
  const apiCpu = (which: keyof Results["api"]) => api[which].map((run) => run.cpuPerRequest);
  const perThousand = (which: keyof Results["api"]) =>
    (1000 * api[which].reduce((sum, run) => sum + run.introspections, 0)) /
    api[which].reduce((sum, run) => sum + run.requests, 0);
  const apiRatios = ratiosOf(apiRate("cached"), apiRate("bare"));
  const apiCpuRatios = ratiosOf(apiCpu("bare"), apiCpu("cached"));
  const apiRatio = median(apiRatios);
  const apiCpuRatio = median(apiCpuRatios);
  line(
    `### 5. Resource server: \`GET /api/me\` with a ProConnect access token as Bearer, autocannon, ${CONNECTIONS} keep-alive connections, ${API_RUNS} runs of ${ROUTE_SECONDS} s per server, alternating (without a cache: ${UNCACHED_RUNS} runs)`,
  );
  line();
  line(
    "| `GET /api/me` | req/s (median) | range of runs | latency mean / p99 (median, ms) | server CPU per answer (median, µs) | introspections per 1,000 calls |",
  );
  line("| --- | ---: | ---: | ---: | ---: | ---: |");
  for (const [label, which] of [
    ["`requireBearer()`, warm cache", "cached"],
    ["`requireBearer({ cache: false })`", "uncached"],
    ["bare express, no middleware", "bare"],
  ] as const) {
    const runs = api[which];
    const latency = `${number(median(runs.map((run) => run.mean)), 2)} / ${number(median(runs.map((run) => run.p99)))}`;
    line(
      `| ${label} | ${number(median(apiRate(which)))} | ${number(Math.min(...apiRate(which)))}–${number(Math.max(...apiRate(which)))} | ${latency} | ${number(median(apiCpu(which)), 1)} | ${which === "bare" ? "–" : number(perThousand(which), 2)} |`,
    );
  }
  line();
  line(
    `Ratio warm cache / bare: **${apiRatio.toFixed(3)}** req/s, **${apiCpuRatio.toFixed(3)}** server CPU per answer (bare / cached; medians of the ${API_RUNS} back-to-back pairs)`,
  );
  line();

  // Targets.
  /**
   * Met when (a) beats both; says by how much against the closer one, judged on the slices' or
   * rounds' ratios (`ratios`) against it.
   */
  const first = (ratio: (rp: RpName) => number, ratios: (rp: RpName) => number[]) => {
    const closer = ratio("official") < ratio("eoc") ? "official" : "eoc";
    const label = closer === "official" ? "(b)" : "(c)";
    return `(a)/${label} ${ratio(closer).toFixed(3)}, ${judged(ratios(closer), (value) => value > 1)}`;
  };
  const ours = ENDPOINT_NAMES.map((name) => `${name} ${count(perLogin("proconnect", name))}`);
  const exactlyTwo =
    perLogin("proconnect", "token") === 1 &&
    perLogin("proconnect", "userinfo") === 1 &&
    perLogin("proconnect", "discovery") === 0 &&
    perLogin("proconnect", "jwks") === 0;
  const stored = session.proconnect.stored ?? Infinity;
  line("### Targets");
  line();
  const routeTarget = (on: ReturnType<typeof routeVerdict>) =>
    `${on.cpu.median.toFixed(3)} (spread ${on.cpu.middleSpread.toFixed(3)} without the extremes), ${on.noisy && !QUICK ? `**too noisy for a verdict** (${on.noisy})` : met(on.cpu.median >= ROUTE_TARGET)}`;
  const elsewhere = verdictsOn.map(({ node, verdict: on }) => `; with ${node}: ${routeTarget(on)}`);
  line(
    `- Protected route, CPU per answer, bare / middleware ≥ ${ROUTE_TARGET}: ${routeTarget(verdict)}; req/s ${verdict.rate.median.toFixed(3)}${elsewhere.join("")}`,
  );
  line(
    `- Resource server, warm cache / bare ≥ 0.9: req/s ${apiRatio.toFixed(3)}, ${judged(apiRatios, (value) => value >= 0.9)}; CPU per answer ${apiCpuRatio.toFixed(3)}, ${judged(apiCpuRatios, (value) => value >= 0.9)}; ${number(perThousand("cached"), 2)} introspections per 1,000 calls`,
  );
  const cpuVsEoc = median(roundRatios("eoc"));
  line(
    `- Relying party CPU per login, ${PARALLEL} at a time, ≤ ${LOGIN_CPU_TARGET}× express-openid-connect's: ${cpuVsEoc.toFixed(3)} (rounds ${spreadOf(roundRatios("eoc"))}), ${judged(roundRatios("eoc"), (value) => value <= LOGIN_CPU_TARGET)}`,
  );
  line(`- This project first in logins/s, 1 at a time: ${first(ratioOne, sliceRatios)}`);
  line(
    `- This project first in logins/s, ${PARALLEL} at a time: ${first(ratioParallel, roundRateRatios)}`,
  );
  line(
    `- Exactly 2 back-channel requests per login (token, userinfo): ${ours.join(", ")}, ${met(exactlyTwo, false)}`,
  );
  line(
    `- Session ≤ 4 KB per user: ${number(stored)} bytes stored (its cookie: ${number(session.proconnect.cookie)} bytes), ${met(stored <= SESSION_TARGET_BYTES, false)}`,
  );
  line();
  const other = results.otherLoad;
  const load = other
    ? ` Other processes used ${other.cores.toFixed(2)} of the ${availableParallelism()} cores on average meanwhile (hypervisor steal: ${other.steal.toFixed(2)}): the higher, the noisier the timings.`
    : "";
  line(`Run time: ${results.seconds.toFixed(0)} s.${load}`);
  return lines.join("\n");
}
