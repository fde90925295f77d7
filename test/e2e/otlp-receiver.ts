import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PROCESS_BOUND_MS } from './server-process';

/** One POST the receiver got. */
export interface ReceivedExport {
  readonly path: string;
  readonly contentType: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
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
  close(): Promise<void>;
}

type AnyValue = {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  arrayValue?: { values?: AnyValue[] };
};
type KeyValue = { key: string; value: AnyValue };
type JsonSpan = Omit<ExportedSpan, 'attributes' | 'resource' | 'status'> & { attributes?: KeyValue[]; status?: ExportedSpan['status'] };
type JsonExport = {
  resourceSpans?: { resource?: { attributes?: KeyValue[] }; scopeSpans?: { spans?: JsonSpan[] }[] }[];
};

function plainValue(value: AnyValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(plainValue);
  return undefined;
}

function plainAttributes(attributes: KeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries((attributes ?? []).map(({ key, value }) => [key, plainValue(value)]));
}

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
  const spans = (): ExportedSpan[] =>
    exports.filter((received) => received.contentType.includes('json')).flatMap((received) => decodeJsonExport(received.body));
  return {
    url: `http://127.0.0.1:${port}`,
    exports,
    spans,
    async waitForSpans(count, timeoutMs = PROCESS_BOUND_MS) {
      const deadline = Date.now() + timeoutMs;
      while (spans().length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      return spans();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const response of hanging) response.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
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
