// OpenTelemetry from the events (docs/observability.md's recipe, test/recipes/opentelemetry.ts): a
// client span per request to ProConnect with its endpoint and status, and the logins' duration as a
// histogram. OpenTelemetry's own SDK, with in-memory exporters.
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { SpanStatusCode } from "@opentelemetry/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signIn, type ProConnectEmulator } from "../lib/testing/index.js";
import { startTestApp, type TestApp } from "./helpers/app.js";
import { failOnly, startTestEmulator } from "./helpers/emulator.js";
import { instrumentProConnect } from "./recipes/opentelemetry.js";

describe("OpenTelemetry from proconnect-express's events", () => {
  const spans = new InMemorySpanExporter();
  const tracing = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  const reader = new PeriodicExportingMetricReader({
    exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
    exportIntervalMillis: 3_600_000,
  });
  const meters = new MeterProvider({ readers: [reader] });
  let stop: () => void;
  let emulator: ProConnectEmulator;
  let app: TestApp;

  beforeAll(async () => {
    stop = instrumentProConnect(tracing.getTracer("test"), meters.getMeter("test"));
    emulator = await startTestEmulator();
    app = await startTestApp(emulator);
  });
  afterAll(async () => {
    stop?.();
    await app?.close();
    await emulator?.close();
    await Promise.all([tracing.shutdown(), meters.shutdown()]);
  });

  it("makes one client span per request to ProConnect, with its endpoint and status, and records the login's duration", async () => {
    spans.reset();
    await signIn(app.url, "test@fia1.fr");
    const made = spans.getFinishedSpans().map((span) => ({
      name: span.name,
      endpoint: span.attributes["proconnect.endpoint"],
      status: span.attributes["http.response.status_code"],
      url: String(span.attributes["url.full"]),
    }));
    // The app's first login: discovery and keys once, then the code's exchange and the userinfo.
    expect(made.map(({ name, endpoint, status }) => ({ name, endpoint, status }))).toEqual([
      { name: "ProConnect discovery", endpoint: "discovery", status: 200 },
      { name: "ProConnect token", endpoint: "token", status: 200 },
      { name: "ProConnect jwks", endpoint: "jwks", status: 200 },
      { name: "ProConnect userinfo", endpoint: "userinfo", status: 200 },
    ]);
    for (const { url } of made) {
      expect(url.startsWith(emulator.issuer.replace(/\/api\/v2$/, ""))).toBe(true);
      expect(url).not.toContain("?");
    }

    const { resourceMetrics } = await reader.collect();
    const metric = resourceMetrics.scopeMetrics
      .flatMap((scope) => scope.metrics)
      .find((each) => each.descriptor.name === "proconnect.login.duration");
    const point = metric?.dataPoints[0] as { value: { count: number; sum: number } } | undefined;
    expect(point?.value.count).toBe(1);
    expect(point?.value.sum).toBeGreaterThan(0);
  });

  it("marks the span of a request ProConnect answered 500, with its status", async () => {
    spans.reset();
    failOnly(emulator, "token", { status: 500, body: "{}" });
    await expect(signIn(app.url, "test@fia1.fr")).rejects.toThrow();
    emulator.setTamper(undefined);
    const token = spans.getFinishedSpans().find((span) => span.name === "ProConnect token");
    expect(token?.attributes["http.response.status_code"]).toBe(500);
    expect(token?.status.code).toBe(SpanStatusCode.ERROR);
  });
});
