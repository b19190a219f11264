import { createServer, type Server, type Socket } from "node:net";
import { gzipSync } from "node:zlib";
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import {
  TestBrowser,
  type BackChannelEndpoint,
  type EmulatorFault,
  type ProConnectEmulator,
} from "../lib/testing/index.js";
import { errorOf, startTestApp, useTestApp, type TestApp } from "./helpers/app.js";
import { failOnly } from "./helpers/emulator.js";
import { expectNobodySignedIn, signIn, withApp } from "./helpers/refusals.js";

// A provider that answers too much: every back-channel body is cut at its size limit, counted on the
// decompressed bytes as they stream in, so that a large answer or a compression bomb ends on a 502
// provider_error naming the endpoint, early, without the app's memory following the provider's answer.

let emulator: ProConnectEmulator;
let app: TestApp;

useTestApp((started) => ({ emulator, app } = started));

const MB = 1024 * 1024;
/** What a bomb may cost the process at most: the limits are 1 MB or less, the rest is headroom. */
const MAX_RSS_GROWTH = 64 * MB;

/**
 * 1 GB of zeros, gzip-compressed to about 1 MB: 1024 gzip members of 1 MB of zeros each, one after the
 * other, which decoders read as one body (RFC 1952). Built in milliseconds, where streaming 1 GB through
 * gzip takes seconds; the test itself never holds more than 1 MB of the zeros.
 */
const GZIP_BOMB = Buffer.concat(Array<Buffer>(1024).fill(gzipSync(Buffer.alloc(MB), { level: 9 })));

/** A valid JSON document of about `size` bytes: `document` with one long string field. */
function padded(document: Record<string, unknown>, size: number): string {
  return JSON.stringify({ ...document, padding: "x".repeat(size) });
}

function bomb(contentType: string): EmulatorFault {
  return { status: 200, body: GZIP_BOMB, contentType, contentEncoding: "gzip" };
}

/** Runs `run`, sampling the process's RSS every few milliseconds: its peak growth over the start. */
async function peakRssGrowth<T>(run: () => Promise<T>): Promise<{ result: T; growth: number }> {
  const start = process.memoryUsage().rss;
  let peak = start;
  const sample = () => (peak = Math.max(peak, process.memoryUsage().rss));
  const timer = setInterval(sample, 2);
  try {
    const result = await run();
    sample();
    return { result, growth: peak - start };
  } finally {
    clearInterval(timer);
  }
}

/**
 * A login through `target` while `endpoint` answers a gzip bomb, and the RSS growth it costs. An honest
 * login first: a process's first login grows its RSS by some 35 MB of its own (code, caches), which is
 * not the bomb's.
 */
async function bombedLogin(target: TestApp, endpoint: "token" | "userinfo", contentType: string) {
  expect((await signIn(target, "test@fia1.fr")).user?.siret).toBe("13002526500013");
  failOnly(emulator, endpoint, bomb(contentType));
  const { result, growth } = await peakRssGrowth(() => signIn(target, "test@fia1.fr"));
  return { ...result, growth };
}

/** A genuine back-channel document of the emulator, fetched as the app would. */
async function genuine(path: string): Promise<string> {
  const response = await fetch(`${emulator.issuer}${path}`);
  return response.text();
}

/**
 * A bare TCP server standing in for ProConnect: `answer` writes raw HTTP on each connection. `run` gets
 * an app of its own pointed at it, with `httpTimeout`; both are closed, with their connections, after.
 */
async function withRawProvider<T>(
  answer: (socket: Socket) => void,
  httpTimeout: number,
  run: (target: TestApp) => Promise<T>,
): Promise<T> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => undefined);
    answer(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  const issuer = `http://127.0.0.1:${port}/api/v2`;
  const target = await startTestApp(undefined, { options: { issuer, httpTimeout } });
  try {
    return await run(target);
  } finally {
    await target.close();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
}

describe("GET /login: a discovery document over its size limit", () => {
  it("refuses a 10 MB discovery document (502 provider_error naming the discovery), then works once it is back", async () => {
    // A fresh app: discovery is cached per process once it succeeded.
    await withApp(emulator, {}, async (target) => {
      const document = JSON.parse(await genuine("/.well-known/openid-configuration")) as Record<
        string,
        unknown
      >;
      failOnly(emulator, "discovery", { status: 200, body: padded(document, 10 * MB) });
      const browser = new TestBrowser();
      const page = await browser.navigate(`${target.url}/login`);
      expect([page.status, errorOf(page).code]).toEqual([502, "provider_error"]);
      expect(errorOf(page).message).toMatch(/discovery.*more than 256 KB \(the limit\)/);
      expect(errorOf(page).message).toContain(emulator.issuer);
      await expectNobodySignedIn(target, browser);

      emulator.setTamper(undefined);
      expect((await signIn(target, "test@fia1.fr", browser)).user?.siret).toBe("13002526500013");
    });
  });

  it("cuts a gzip-bombed discovery document early: 502 provider_error, memory growth under 64 MB", async () => {
    await withApp(emulator, {}, async (target) => {
      failOnly(emulator, "discovery", bomb("application/json"));
      const { result: page, growth } = await peakRssGrowth(() =>
        new TestBrowser().navigate(`${target.url}/login`),
      );
      expect([page.status, errorOf(page).code]).toEqual([502, "provider_error"]);
      expect(errorOf(page).message).toMatch(/discovery.*more than 256 KB/);
      expect(growth).toBeLessThan(MAX_RSS_GROWTH);
    });
  });

  it("refuses a discovery announcing a Content-Length over the limit without waiting for its body", async () => {
    // The headers promise 10 MB, one byte follows, then nothing: reading the body would wait for
    // httpTimeout and end on a 503.
    const answer = (socket: Socket) =>
      socket.write(
        `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${10 * MB}\r\n\r\n{`,
      );
    await withRawProvider(answer, 10_000, async (target) => {
      const started = Date.now();
      const page = await new TestBrowser().navigate(`${target.url}/login`);
      expect([page.status, errorOf(page).code]).toEqual([502, "provider_error"]);
      expect(errorOf(page).message).toMatch(/discovery.*more than 256 KB/);
      expect(Date.now() - started).toBeLessThan(5000);
    });
  });

  it("reads no further than a Content-Length within the limit, however much follows it (memory bounded)", async () => {
    // A body within its declared length is not counted as it streams in: the declared length is
    // what bounds it. 10 MB after the declared two bytes must not be read as part of it.
    const answer = (socket: Socket) => {
      socket.write(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
      );
      socket.write(Buffer.alloc(10 * MB, 0x78));
    };
    await withRawProvider(answer, 10_000, async (target) => {
      const { result: page, growth } = await peakRssGrowth(() =>
        new TestBrowser().navigate(`${target.url}/login`),
      );
      // `{}` alone was read: the issuer is missing. Read further, the x's would be a JSON error or the limit.
      expect([page.status, errorOf(page).code]).toEqual([503, "provider_unavailable"]);
      expect(errorOf(page).message).toMatch(/"issuer" property must be a string/);
      expect(growth).toBeLessThan(MAX_RSS_GROWTH);
    });
  });

  it("still bounds a discovery document that trickles in by httpTimeout (503, no answer in time)", async () => {
    // Headers at once, then a byte every 20 ms, forever: only the timeout can end it.
    const answer = (socket: Socket) => {
      socket.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n");
      const timer = setInterval(() => socket.write(" "), 20);
      socket.on("close", () => clearInterval(timer));
    };
    await withRawProvider(answer, 400, async (target) => {
      const started = Date.now();
      const page = await new TestBrowser().navigate(`${target.url}/login`);
      expect([page.status, errorOf(page).code]).toEqual([503, "provider_unavailable"]);
      expect(errorOf(page).message).toMatch(/no answer in time/);
      expect(Date.now() - started).toBeLessThan(3000);
    });
  });
});

describe("GET /callback: a back-channel answer over its size limit", () => {
  it("refuses a 10 MB JWKS (502 provider_error naming the JWKS), nobody signed in, then signs in once it is back", async () => {
    // A fresh app: its first login fetches the JWKS.
    await withApp(emulator, {}, async (target) => {
      const jwks = JSON.parse(await genuine("/jwks")) as { keys: unknown[] };
      failOnly(emulator, "jwks", { status: 200, body: padded(jwks, 10 * MB) });
      const { page, browser } = await signIn(target, "test@fia1.fr");
      expect([page.status, errorOf(page).code]).toEqual([502, "provider_error"]);
      expect(errorOf(page).message).toMatch(/JWKS.*more than 256 KB \(the limit\)/);
      await expectNobodySignedIn(target, browser);

      emulator.setTamper(undefined);
      expect((await signIn(target, "test@fia1.fr", browser)).user?.siret).toBe("13002526500013");
    });
  });

  /**
   * A login while `endpoint` answers a gzip bomb as `contentType`: cut early, a 502 provider_error whose
   * message matches `message`, the memory growth under MAX_RSS_GROWTH, and nobody signed in.
   */
  async function expectBombCut(
    endpoint: "token" | "userinfo",
    contentType: string,
    message: RegExp,
  ) {
    const { page, browser, growth } = await bombedLogin(app, endpoint, contentType);
    expect([page.status, errorOf(page).code]).toEqual([502, "provider_error"]);
    expect(errorOf(page).message).toMatch(message);
    expect(growth).toBeLessThan(MAX_RSS_GROWTH);
    await expectNobodySignedIn(app, browser);
  }

  it("cuts a gzip-bombed userinfo early: 502 provider_error naming the userinfo, memory growth under 64 MB", async () => {
    await expectBombCut(
      "userinfo",
      "application/jwt",
      /userinfo endpoint.*more than 1 MB \(the limit\)/,
    );
  });

  it("cuts a gzip-bombed token response early: 502 provider_error naming the token endpoint, memory growth under 64 MB", async () => {
    await expectBombCut(
      "token",
      "application/json",
      /token endpoint.*more than 256 KB \(the limit\)/,
    );
  });

  it("cuts a gzip bomb sent as HTML too (the limit does not depend on the content type)", async () => {
    // oauth4webapi then reports the content type, with the Response as the cause, not the stream's error.
    await expectBombCut("token", "text/html", /token endpoint.*more than 256 KB/);
  });
});

describe("GET /callback: honest gzip-compressed answers", () => {
  it("signs in when discovery, JWKS and userinfo all come gzip-compressed (decompression still flows through)", async () => {
    // Tamper hooks are synchronous: capture a genuine userinfo first.
    let captured = "";
    emulator.setTamper({ userinfo: (jws) => (captured = jws) });
    expect((await signIn(app, "test@fia1.fr")).user?.siret).toBe("13002526500013");

    // A fresh app, so that its discovery and JWKS are fetched, compressed, on its first login.
    await withApp(emulator, {}, async (target) => {
      const userinfo = await emulator.sign(
        { ...decodeJwt(captured), aud: target.clientId },
        { alg: "ES256" },
      );
      const bodies: Partial<Record<BackChannelEndpoint, [body: string, type: string]>> = {
        discovery: [await genuine("/.well-known/openid-configuration"), "application/json"],
        jwks: [await genuine("/jwks"), "application/json"],
        userinfo: [userinfo, "application/jwt"],
      };
      const served: BackChannelEndpoint[] = [];
      emulator.setTamper({
        fault: (endpoint) => {
          const answer = bodies[endpoint];
          if (!answer) return undefined;
          served.push(endpoint);
          return {
            status: 200,
            body: gzipSync(answer[0]),
            contentType: answer[1],
            contentEncoding: "gzip",
          };
        },
      });
      expect((await signIn(target, "test@fia1.fr")).user?.siret).toBe("13002526500013");
      expect(served).toEqual(["discovery", "jwks", "userinfo"]);
    });
  });
});
