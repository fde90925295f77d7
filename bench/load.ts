/** Drives one route of one server with autocannon (in this process, which is pinned to the load core). */
import autocannon from 'autocannon';
import type { RouteSpec } from './configs';
import { percentile } from './stats';

export const CONNECTIONS = 10;

export interface LoadResult {
  readonly requests: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  /** Latencies in milliseconds, from each response's own timing (autocannon's histogram is whole ms only). */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Responses that were not 2xx, plus connection errors and timeouts: anything but 0 spoils the window. */
  readonly failures: number;
}

export type LoadLimit = { readonly seconds: number } | { readonly amount: number };

/** Sends the route's request over `CONNECTIONS` connections for a duration or a number of requests. */
export async function runLoad(baseUrl: string, route: RouteSpec, limit: LoadLimit): Promise<LoadResult> {
  const latencies: number[] = [];
  const instance = autocannon({
    url: baseUrl + route.path,
    connections: CONNECTIONS,
    method: route.method,
    headers: { 'content-type': route.contentType },
    body: route.body,
    ...('seconds' in limit ? { duration: limit.seconds } : { amount: limit.amount }),
  });
  instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTimeMs: number) => {
    latencies.push(responseTimeMs);
  });
  const started = process.hrtime.bigint();
  const result = await instance;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const sample = Float64Array.from(latencies);
  const requests = result.requests.total;
  return {
    requests,
    seconds,
    requestsPerSecond: requests / seconds,
    p50Ms: percentile(sample, 50),
    p99Ms: percentile(sample, 99),
    failures: result.non2xx + result.errors + result.timeouts,
  };
}
