// Section 1: requests per second on a protected JSON route, with autocannon against real local servers.
import autocannon from "autocannon";

export interface Run {
  requestsPerSecond: number;
  requests: number;
  /** Latency, ms. */
  mean: number;
  p99: number;
}

export const CONNECTIONS = 4;

/** One autocannon run: keep-alive connections, `seconds` long, every answer must be a 200. */
export async function measure(
  url: string,
  cookie: string,
  seconds: number,
  headers: Record<string, string> = {},
): Promise<Run> {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    headers: { ...(cookie ? { cookie } : {}), accept: "application/json", ...headers },
  });
  const failed = result.errors + result.timeouts + result.non2xx;
  if (failed > 0 || result.requests.total === 0) {
    throw new Error(
      `${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors, ${result.timeouts} timeouts out of ${result.requests.total}`,
    );
  }
  return {
    requestsPerSecond: result.requests.total / result.duration,
    requests: result.requests.total,
    mean: result.latency.mean,
    p99: result.latency.p99,
  };
}

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? NaN)
    : ((sorted[middle - 1] ?? NaN) + (sorted[middle] ?? NaN)) / 2;
};
