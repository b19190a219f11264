import * as diagnostics_channel from "node:diagnostics_channel";
import {
  metrics,
  SpanKind,
  SpanStatusCode,
  trace,
  type Meter,
  type Tracer,
} from "@opentelemetry/api";
import {
  PROCONNECT_CHANNELS,
  type LoginSuccessEvent,
  type ProviderRequestEvent,
} from "proconnect-express";

/**
 * proconnect-express in OpenTelemetry: a client span for each request to ProConnect (a child of the
 * request being served, with its endpoint, status and duration) and a histogram of the logins'
 * durations. Returns the function that stops it.
 */
export function instrumentProConnect(
  tracer: Tracer = trace.getTracer("proconnect-express"),
  meter: Meter = metrics.getMeter("proconnect-express"),
): () => void {
  const loginDuration = meter.createHistogram("proconnect.login.duration", {
    unit: "ms",
    description: "From GET /login to the session written, ProConnect's pages included",
  });
  const onRequest = (message: unknown) => {
    const event = message as ProviderRequestEvent;
    const end = Date.now();
    const span = tracer.startSpan(`ProConnect ${event.endpoint}`, {
      kind: SpanKind.CLIENT,
      startTime: end - event.durationMs,
      attributes: {
        "proconnect.endpoint": event.endpoint,
        "http.request.method": event.method,
        "url.full": event.url,
        ...(event.status === undefined ? {} : { "http.response.status_code": event.status }),
        ...(event.error === undefined ? {} : { "error.type": event.error }),
      },
    });
    if (event.outcome === "failed" || (event.status ?? 0) >= 500) {
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end(end);
  };
  const onLogin = (message: unknown) => {
    const { durationMs, idp_id, acr } = message as LoginSuccessEvent;
    loginDuration.record(durationMs, { "proconnect.idp_id": idp_id, "proconnect.acr": acr ?? "" });
  };
  diagnostics_channel.subscribe(PROCONNECT_CHANNELS.providerRequest, onRequest);
  diagnostics_channel.subscribe(PROCONNECT_CHANNELS.loginSuccess, onLogin);
  return () => {
    diagnostics_channel.unsubscribe(PROCONNECT_CHANNELS.providerRequest, onRequest);
    diagnostics_channel.unsubscribe(PROCONNECT_CHANNELS.loginSuccess, onLogin);
  };
}
