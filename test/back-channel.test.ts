// The back channel's fetch (lib/back-channel.ts) as openid-client and jose call it, on real HTTP: what it
// keeps of fetch's behaviour where they look, and its own bounds. Logins through it are in
// callback.test.ts, hostile-provider.test.ts, back-channel-limits.test.ts and back-channel-tls.test.ts.
import { createServer, type RequestListener } from "node:http";
import { brotliCompressSync, deflateSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { boundedFetch } from "../lib/back-channel.js";
import { BodyTooLargeError } from "../lib/provider-errors.js";
import { freePort, listen, type Listening } from "./helpers/net.js";

const servers: Listening[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function serve(handler: RequestListener): Promise<string> {
  const server = await listen(createServer(handler));
  servers.push(server);
  return server.url;
}

const LIMIT = 1024;
const fetchOf = (timeoutMs = 5_000) => boundedFetch("token", "token endpoint", LIMIT, timeoutMs);

describe("the back channel's fetch", () => {
  it("sends the form, its headers and method, and hands on status, headers and body", async () => {
    const url = await serve((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk));
      req.on("end", () => {
        res.setHeader("content-type", "application/json");
        res.setHeader(
          "x-seen",
          `${req.method} ${req.headers["content-type"]} ${req.headers.accept}`,
        );
        res.end(JSON.stringify({ body }));
      });
    });
    const response = await fetchOf()(`${url}/token`, {
      method: "POST",
      headers: new Headers({ accept: "application/json" }),
      body: new URLSearchParams({ grant_type: "authorization_code", code: "é" }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-seen")).toBe(
      "POST application/x-www-form-urlencoded;charset=UTF-8 application/json",
    );
    expect(await response.json()).toEqual({ body: "grant_type=authorization_code&code=%C3%A9" });
  });

  it("rejects after timeoutMs when no signal is given and the answer never comes (TimeoutError)", async () => {
    const url = await serve(() => undefined);
    const error = await fetchOf(200)(url, {}).catch((caught: unknown) => caught);
    expect((error as Error).name).toBe("TimeoutError");
  });

  it("rejects with the signal's reason while the body is still coming in", async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"partial":');
    });
    const error = await fetchOf()(url, { signal: AbortSignal.timeout(200) }).catch(
      (caught: unknown) => caught,
    );
    expect((error as Error).name).toBe("TimeoutError");
  });

  it("rejects a connection failure as fetch does: a TypeError, the system error as its cause", async () => {
    const port = await freePort();
    const error = await fetchOf()(`http://127.0.0.1:${port}/token`, {}).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(TypeError);
    expect(((error as TypeError).cause as { code?: string }).code).toBe("ECONNREFUSED");
  });

  it("hands a redirect on without following it", async () => {
    const url = await serve((_req, res) => res.writeHead(302, { location: "/elsewhere" }).end());
    const response = await fetchOf()(url, {});
    expect([response.status, response.headers.get("location")]).toEqual([302, "/elsewhere"]);
  });

  it("reports a status past 599 as received, its body dropped (a Response cannot be built with it)", async () => {
    const url = await serve((req) => {
      req.socket.end("HTTP/1.1 999 Odd\r\ncontent-length: 4\r\n\r\nbody");
    });
    const response = await fetchOf()(url, {});
    expect([response.status, response.body]).toEqual([999, null]);
  });

  it("decodes deflate and br as gzip, and hands an unknown coding on as sent", async () => {
    const json = JSON.stringify({ ok: true });
    const codings: Record<string, Buffer> = {
      deflate: deflateSync(json),
      br: brotliCompressSync(json),
      zstd: Buffer.from("raw bytes"),
    };
    const url = await serve((req, res) => {
      const coding = req.url?.slice(1) ?? "";
      res.writeHead(200, { "content-encoding": coding }).end(codings[coding]);
    });
    const read = async (coding: string) => (await fetchOf()(`${url}/${coding}`, {})).text();
    expect([await read("deflate"), await read("br"), await read("zstd")]).toEqual([
      json,
      json,
      "raw bytes",
    ]);
  });

  it("refuses a chunked body past the limit with a BodyTooLargeError naming the endpoint", async () => {
    const url = await serve((_req, res) => {
      res.write(Buffer.alloc(LIMIT));
      res.end(Buffer.alloc(1));
    });
    const error = await fetchOf()(url, {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BodyTooLargeError);
    expect((error as Error).message).toMatch(/token endpoint answered more than 1 KB/);
  });
});
