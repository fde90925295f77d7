import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { decodeJsonMetrics, type ExportedMetric } from './otlp-metrics';
import { plainAttributes, type KeyValue } from './otlp-json';
import { PROCESS_BOUND_MS } from './server-process';

/** One POST the receiver got. */
export interface ReceivedExport {
  readonly path: string;
  readonly contentType: string;
  readonly headers: IncomingHttpHeaders;
  /** The body as sent: still gzip-compressed when `content-encoding` says so. */
  readonly body: Buffer;
}

/** The body of an export, decompressed when it was sent gzip-compressed. */
export function plainBody(received: ReceivedExport): Buffer {
  return received.headers['content-encoding'] === 'gzip' ? gunzipSync(received.body) : received.body;
}

/** A span of an OTLP/HTTP JSON export, attributes decoded to plain values, with its resource's attributes. */
export interface ExportedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  readonly kind: number;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly status: { readonly code?: number; readonly message?: string };
  readonly resource: Readonly<Record<string, unknown>>;
}

/** A loopback OTLP/HTTP receiver: `ok` answers every export with 200, `hang` never answers. */
export interface OtlpReceiver {
  /** The base URL, as OTEL_EXPORTER_OTLP_ENDPOINT takes it. */
  readonly url: string;
  readonly exports: ReceivedExport[];
  /** Every span of every http/json export so far. */
  spans(): ExportedSpan[];
  /** Polls until at least `count` spans arrived (or, at the latest, the time is up), then returns them all. */
  waitForSpans(count: number, timeoutMs?: number): Promise<ExportedSpan[]>;
  /** Every data point of every http/json metrics export so far, one entry per metric of each export. */
  metrics(): ExportedMetric[];
  /** Polls until at least `count` metrics exports arrived (or the time is up), then returns all metrics. */
  waitForMetricExports(count: number, timeoutMs?: number): Promise<ExportedMetric[]>;
  close(): Promise<void>;
}

type JsonSpan = Omit<ExportedSpan, 'attributes' | 'resource' | 'status'> & { attributes?: KeyValue[]; status?: ExportedSpan['status'] };
type JsonExport = {
  resourceSpans?: { resource?: { attributes?: KeyValue[] }; scopeSpans?: { spans?: JsonSpan[] }[] }[];
};

/** The spans of one http/json export body. */
export function decodeJsonExport(body: Buffer): ExportedSpan[] {
  const decoded = JSON.parse(body.toString('utf8')) as JsonExport;
  return (decoded.resourceSpans ?? []).flatMap((resourceSpans) => {
    const resource = plainAttributes(resourceSpans.resource?.attributes);
    return (resourceSpans.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId ?? '',
        name: span.name,
        kind: span.kind,
        attributes: plainAttributes(span.attributes),
        status: span.status ?? {},
        resource,
      })),
    );
  });
}

export async function startReceiver(behaviour: 'ok' | 'hang' = 'ok'): Promise<OtlpReceiver> {
  const exports: ReceivedExport[] = [];
  const hanging: ServerResponse[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      exports.push({
        path: request.url ?? '',
        contentType: request.headers['content-type'] ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks),
      });
      if (behaviour === 'hang') {
        hanging.push(response);
        return;
      }
      // An empty body is a valid ExportTraceServiceResponse in both encodings' eyes.
      const json = request.headers['content-type']?.includes('json') === true;
      response.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      response.end(json ? '{}' : undefined);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const jsonBodies = () => exports.filter((received) => received.contentType.includes('json')).map(plainBody);
  const spans = (): ExportedSpan[] => jsonBodies().flatMap(decodeJsonExport);
  const metrics = (): ExportedMetric[] => jsonBodies().flatMap(decodeJsonMetrics);
  const metricExports = () => exports.filter((received) => received.path.endsWith('/v1/metrics')).length;
  return {
    url: `http://127.0.0.1:${port}`,
    exports,
    spans,
    async waitForSpans(count, timeoutMs = PROCESS_BOUND_MS) {
      const deadline = Date.now() + timeoutMs;
      while (spans().length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      return spans();
    },
    metrics,
    async waitForMetricExports(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (metricExports() < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      return metrics();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const response of hanging) response.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Runs `run` with a fresh receiver, closing it after. */
export async function withReceiver(run: (receiver: OtlpReceiver) => Promise<void>): Promise<void> {
  const receiver = await startReceiver();
  try {
    await run(receiver);
  } finally {
    await receiver.close();
  }
}

/** A loopback base URL where nothing listens: connections are refused. */
export async function refusingEndpoint(): Promise<string> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** What the receiver got, ordered by path (`/v1/metrics` before `/v1/traces`): signals exported at shutdown race. */
export function exportsByPath(receiver: OtlpReceiver): ReceivedExport[] {
  return [...receiver.exports].sort((a, b) => a.path.localeCompare(b.path));
}

/**
 * Each distinct `[path, what]` of the exports, ordered by path: what each signal arrived as, however many
 * exports it took (log records written at start-up may leave in a batch of their own before the shutdown's).
 */
export function signalsExported(receiver: OtlpReceiver, what: (received: ReceivedExport) => unknown): [string, unknown][] {
  const seen = new Map(exportsByPath(receiver).map((received) => [`${received.path} ${String(what(received))}`, [received.path, what(received)]]));
  return [...seen.values()] as [string, unknown][];
}
