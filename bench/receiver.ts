/**
 * The loopback OTLP/HTTP receiver of the `+otlp` configurations: it reads every export request's
 * body, discards it and answers 200, so the server pays the whole cost of exporting and nothing else.
 * Forked by the parent (on the load generator's core); reports its port, then its counts on request.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceiverMessage {
  readonly type: 'receiver-ready';
  readonly port: number;
}

let exportRequests = 0;
let bytes = 0;

const server = createServer((request, response) => {
  request.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  request.on('end', () => {
    exportRequests++;
    // An empty ExportTraceServiceResponse: `{}` in JSON, no bytes at all in protobuf.
    if (request.headers['content-type'] === 'application/x-protobuf') {
      response.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': '0' });
      response.end();
    } else {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{}');
    }
  });
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.send?.({ type: 'receiver-ready', port } satisfies ReceiverMessage);
});

process.on('disconnect', () => {
  console.error(`otlp receiver: ${exportRequests} export requests, ${(bytes / 1e6).toFixed(1)} MB received and discarded`);
  process.exit(0);
});
