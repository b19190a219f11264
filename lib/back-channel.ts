// ProConnect's back channel: every request the library makes to ProConnect (discovery, JWKS, token,
// userinfo, introspection), which openid-client and jose call as their fetch. Over node:http(s) rather
// than the global fetch: undici's fetch costs about three times as much CPU per request, a sixth of a
// login's CPU in all (docs/performance.md, "The back channel without fetch"). Each answer is read whole,
// within its size limit, before openid-client or jose sees it.
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";
import { performance } from "node:perf_hooks";
import type { Readable } from "node:stream";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import { publish, type ProviderEndpoint } from "./events.js";
import { BodyTooLargeError, networkErrorCode } from "./provider-errors.js";

/** A fetch as openid-client (`customFetch`) and jose call it. */
export type BackChannelFetch = (url: string, init: RequestInit) => Promise<Response>;

// Codings undici decoded before: the same are decoded here, the limit counting the decoded bytes.
const DECODERS: Record<string, () => NodeJS.ReadWriteStream> = {
  gzip: createGunzip,
  "x-gzip": createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};
const MAX_CODINGS = 5;
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * The fetch for one of ProConnect's endpoints: each answer's body limited to `limit` bytes, decoded,
 * the whole within the request's signal (else `timeoutMs`), published on the `provider:request`
 * channel (endpoint, status, duration) when someone listens. It behaves as fetch where openid-client
 * and jose look: a connection failure rejects with fetch's `TypeError` (the failure as its cause), the
 * request's signal (their timeout) rejects with its reason until the whole body is in, redirects are
 * handed on, not followed.
 */
export function boundedFetch(
  endpoint: ProviderEndpoint,
  what: string,
  limit: number,
  timeoutMs: number,
): BackChannelFetch {
  return (url, given) => {
    // openid-client and jose always give a signal (their timeout); were one missing, `timeoutMs`
    // bounds the request.
    const init = given.signal ? given : { ...given, signal: AbortSignal.timeout(timeoutMs) };
    const started = performance.now();
    const event = (outcome: "answered" | "failed", status?: number, error?: string) => {
      const { origin, pathname } = new URL(url);
      return {
        endpoint,
        method: init.method ?? "GET",
        url: `${origin}${pathname}`,
        outcome,
        ...(status === undefined ? {} : { status }),
        ...(error === undefined ? {} : { error }),
        durationMs: performance.now() - started,
      };
    };
    let answered = false;
    const onHead = (status: number) => {
      answered = true;
      publish("providerRequest", () => event("answered", status));
    };
    return send(new URL(url), init, { what, limit, onHead }).catch((error: unknown) => {
      if (!answered)
        publish("providerRequest", () =>
          event(
            "failed",
            undefined,
            networkErrorCode(error) ?? (error as Error | null)?.name ?? "error",
          ),
        );
      throw error;
    });
  };
}

interface Reading {
  what: string;
  limit: number;
  onHead(status: number): void;
}

/** One request and its whole answer, as a Response. */
function send(url: URL, init: RequestInit, reading: Reading): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    const signal = init.signal ?? undefined;
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const body = requestBody(init.body);
    const secure = url.protocol === "https:";
    // No agent of its own: Node's global ones, the process's. They keep connections alive (Node.js 19
    // and later: a login's token and userinfo requests share one), honour NODE_USE_ENV_PROXY (an egress
    // proxy from HTTPS_PROXY, Node.js 22 and later), and whatever the app set on `https.globalAgent`.
    const request = (secure ? httpsRequest : httpRequest)(url, {
      method: init.method ?? "GET",
      headers: requestHeaders(init.headers, body),
    });
    const settle = () => signal?.removeEventListener("abort", abort);
    const fail = (error: unknown) => {
      settle();
      request.destroy();
      reject(error);
    };
    const abort = () => fail(signal?.reason);
    signal?.addEventListener("abort", abort, { once: true });
    let answer: IncomingMessage | undefined;
    request.on("error", (error) => {
      // Bytes past a complete answer (more than its Content-Length) fail the connection, not the answer.
      if (answer?.complete) return;
      fail(new TypeError("fetch failed", { cause: error }));
    });
    request.on("response", (incoming: IncomingMessage) => {
      answer = incoming;
      reading.onHead(incoming.statusCode ?? 0);
      readBody(incoming, reading).then((bytes) => {
        try {
          const response = responseOf(incoming, bytes);
          settle();
          resolve(response);
        } catch (error) {
          // A header fetch's Headers refuses: a bad answer, never an unhandled rejection.
          fail(new TypeError("fetch failed", { cause: error }));
        }
      }, fail);
    });
    request.end(body?.bytes);
  });
}

/** A request's body as sent, and the content type fetch gives it when the caller gives none. */
interface Body {
  bytes: string | Uint8Array;
  type: string | undefined;
}

/** The body as sent: openid-client sends forms (URLSearchParams) and nothing else. */
function requestBody(body: RequestInit["body"]): Body | undefined {
  if (body === undefined || body === null) return undefined;
  if (body instanceof URLSearchParams) {
    return { bytes: body.toString(), type: "application/x-www-form-urlencoded;charset=UTF-8" };
  }
  if (typeof body === "string") return { bytes: body, type: "text/plain;charset=UTF-8" };
  if (body instanceof Uint8Array) return { bytes: body, type: undefined };
  if (body instanceof ArrayBuffer) return { bytes: new Uint8Array(body), type: undefined };
  throw new TypeError("the back channel sends a form, a string or bytes, not a stream");
}

function requestHeaders(
  given: RequestInit["headers"],
  body: Body | undefined,
): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  new Headers(given).forEach((value, name) => {
    headers[name] = value;
  });
  if (body !== undefined) {
    if (body.type !== undefined) headers["content-type"] ??= body.type;
    headers["content-length"] =
      typeof body.bytes === "string" ? Buffer.byteLength(body.bytes) : body.bytes.length;
  }
  return headers;
}

/**
 * The answer's body, decoded, or a `BodyTooLargeError` as soon as it passes the limit: by its declared
 * length when nothing is encoded, else as it comes in (a compression bomb is cut at the limit too).
 */
function readBody(incoming: IncomingMessage, { what, limit }: Reading): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const codings = contentCodings(incoming.headers["content-encoding"]);
    const declared = incoming.headers["content-length"];
    if (codings.length === 0 && declared !== undefined && Number(declared) > limit) {
      reject(bodyTooLarge(what, limit));
      return;
    }
    const streams: (Readable | NodeJS.ReadWriteStream)[] = [incoming];
    let source: Readable | NodeJS.ReadWriteStream = incoming;
    for (const decoder of codings) {
      source = source.pipe(decoder());
      streams.push(source);
    }
    // Stops reading and decoding at once: nothing more of this answer is held or inflated.
    const stop = (error: Error) => {
      for (const stream of streams) (stream as Readable).destroy();
      reject(error);
    };
    for (const stream of streams) {
      stream.on("error", (error: Error) => stop(new TypeError("terminated", { cause: error })));
    }
    const chunks: Buffer[] = [];
    let received = 0;
    source.on("data", (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) {
        stop(bodyTooLarge(what, limit));
        return;
      }
      chunks.push(chunk);
    });
    source.on("end", () => resolve(Buffer.concat(chunks)));
  });
}

/**
 * The decoders of the codings to undo, the last applied first; none when one is unknown (undici then
 * hands the body on as sent, and so does this).
 */
function contentCodings(header: string | undefined): (() => NodeJS.ReadWriteStream)[] {
  if (header === undefined) return [];
  const decoders = [];
  for (const coding of header.split(",").reverse()) {
    const name = coding.trim().toLowerCase();
    if (name === "" || name === "identity") continue;
    const decoder = DECODERS[name];
    if (decoder === undefined || decoders.length === MAX_CODINGS) return [];
    decoders.push(decoder);
  }
  return decoders;
}

function responseOf(incoming: IncomingMessage, bytes: Buffer): Response {
  const headers = new Headers();
  const raw = incoming.rawHeaders;
  for (let index = 0; index + 1 < raw.length; index += 2) {
    headers.append(raw[index] as string, raw[index + 1] as string);
  }
  const status = incoming.statusCode ?? 0;
  const valid = status >= 200 && status <= 599;
  const response = new Response(NULL_BODY_STATUSES.has(status) || !valid ? null : bytes, {
    status: valid ? status : 500,
    headers,
  });
  // undici hands statuses up to 999 on, which a Response cannot be built with: this one still reports
  // the status received, which openid-client and jose refuse on its own.
  if (!valid) Object.defineProperty(response, "status", { value: status });
  return response;
}

function bodyTooLarge(what: string, limit: number): BodyTooLargeError {
  const KB = 1024;
  const size = limit >= KB * KB ? `${limit / (KB * KB)} MB` : `${limit / KB} KB`;
  return new BodyTooLargeError(
    `ProConnect's ${what} answered more than ${size} (the limit): refused`,
  );
}
