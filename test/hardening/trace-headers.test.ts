import 'reflect-metadata';
import test from 'ava';
import fc from 'fast-check';
import { SpanKind } from '@opentelemetry/api';
import { CompositePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { B3Propagator } from '@opentelemetry/propagator-b3';
import { Get, JsonController } from 'routing-controllers';
import { instrumentControllers } from '../../src';
import type { RunningServer } from '../helpers/server';
import { captureDiag, finishedSpans, registerTracing } from '../helpers/tracing';
import { DRIVERS, RawClient } from './support';

// W3C first, then B3 (single `b3` header or the multi x-b3-* headers): what a DRUM deployment registers.
const { exporter } = registerTracing(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new B3Propagator()] }));
const diagRecords = captureDiag();

@JsonController()
class TraceHeaderController {
  @Get('/th/:id')
  get() {
    return { ok: true };
  }
}

const servers = new Map<string, RunningServer>();

test.before(async () => {
  instrumentControllers([TraceHeaderController]);
  for (const driver of DRIVERS) servers.set(driver.name, await driver.start({ controllers: [TraceHeaderController] }, { maxHeaderSize: 256 * 1024 }));
});

test.after.always(async () => {
  for (const server of servers.values()) await server.close();
});

test.beforeEach(() => {
  exporter.reset();
  diagRecords.length = 0;
});

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const PARENT = 'b7ad6b7169203331';
const VALID = `00-${TRACE}-${PARENT}-01`;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);
const B3_TRACE = '463ac35c9f6413ad48485a3953bb6124';
const B3_SPAN = 'a2fb4a1d1a96d312';
const TEN_KB = 'a'.repeat(10 * 1024);

/** Sends one GET with exactly these header lines (raw, so repeated and odd headers reach the server as written). */
async function getWith(server: RunningServer, headerLines: string[]): Promise<{ status: number; body: string }> {
  const client = await RawClient.open(server.url);
  try {
    const head = ['GET /th/1 HTTP/1.1', 'Host: 127.0.0.1', 'Connection: close', ...headerLines].join('\r\n');
    await client.write(`${head}\r\n\r\n`);
    const [response] = await client.responses(1);
    return { status: response?.status ?? 0, body: response?.body ?? '' };
  } finally {
    client.destroy();
  }
}

const newRootCases: [label: string, headerLines: string[]][] = [
  ['garbage traceparent', ['traceparent: garbage']],
  ['empty traceparent', ['traceparent: ']],
  ['truncated traceparent (no flags)', [`traceparent: 00-${TRACE}-${PARENT}`]],
  ['truncated trace id', [`traceparent: 00-${TRACE.slice(0, 20)}-${PARENT}-01`]],
  ['upper-case hex ids', [`traceparent: 00-${TRACE.toUpperCase()}-${PARENT.toUpperCase()}-01`]],
  ['all-zero trace id', [`traceparent: 00-${ZERO_TRACE}-${PARENT}-01`]],
  ['all-zero parent id', [`traceparent: 00-${TRACE}-${ZERO_SPAN}-01`]],
  ['version ff', [`traceparent: ff-${TRACE}-${PARENT}-01`]],
  ['version 00 with trailing data', [`traceparent: ${VALID}-extra`]],
  ['non-hex characters', [`traceparent: 00-${TRACE.slice(0, 31)}g-${PARENT}-01`]],
  ['10 KB traceparent', [`traceparent: ${TEN_KB}`]],
  ['10 KB after a valid traceparent', [`traceparent: ${VALID}${TEN_KB}`]],
  ['two different traceparent headers', [`traceparent: ${VALID}`, `traceparent: 00-${'1'.repeat(32)}-${'2'.repeat(16)}-01`]],
  ['B3 single: 0 (deny) is not a parent', ['b3: 0']],
  ['B3 single: garbage', ['b3: garbage-garbage-1']],
  ['B3 single: all-zero trace id', [`b3: ${ZERO_TRACE}-${B3_SPAN}-1`]],
  ['B3 single: 15-digit span id', [`b3: ${B3_TRACE}-${B3_SPAN.slice(1)}-1`]],
  ['B3 single: 10 KB', [`b3: ${TEN_KB}`]],
  ['B3 multi: non-hex trace id', [`x-b3-traceid: ${'z'.repeat(32)}`, `x-b3-spanid: ${B3_SPAN}`, 'x-b3-sampled: 1']],
  ['B3 multi: 33-digit trace id', [`x-b3-traceid: ${B3_TRACE}a`, `x-b3-spanid: ${B3_SPAN}`, 'x-b3-sampled: 1']],
  ['B3 multi: all-zero ids', [`x-b3-traceid: ${ZERO_TRACE}`, `x-b3-spanid: ${ZERO_SPAN}`, 'x-b3-sampled: 1']],
  ['B3 multi: span id missing', [`x-b3-traceid: ${B3_TRACE}`, 'x-b3-sampled: 1']],
  ['B3 multi: a garbage x-b3-sampled', [`x-b3-traceid: ${B3_TRACE}`, `x-b3-spanid: ${B3_SPAN}`, 'x-b3-sampled: maybe']],
  ['B3 multi: 10 KB trace id', [`x-b3-traceid: ${TEN_KB}`, `x-b3-spanid: ${B3_SPAN}`]],
];

const parentCases: [label: string, headerLines: string[], traceId: string, parentId: string][] = [
  ['an upper-case TRACEPARENT header name', [`TRACEPARENT: ${VALID}`], TRACE, PARENT],
  ['a valid traceparent with a 10 KB tracestate', [`traceparent: ${VALID}`, `tracestate: vendor=${TEN_KB}`], TRACE, PARENT],
  ['a valid traceparent with a garbage tracestate', [`traceparent: ${VALID}`, 'tracestate: ,,=,==,,a b=c'], TRACE, PARENT],
  ['a garbage traceparent beside a valid B3 single header', ['traceparent: garbage', `b3: ${B3_TRACE}-${B3_SPAN}-1`], B3_TRACE, B3_SPAN],
];

// W3C Trace Context: version ff is invalid; version 00 has exactly four fields; a future version may carry
// more after a `-`; all-zero ids are invalid.
const W3C_SHAPE = /^(?!ff)[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}(-.*)?$/;
const isValidTraceparent = (value: string) => W3C_SHAPE.test(value) && !(value.startsWith('00-') && value.length > 55);

for (const driver of DRIVERS) {
  const server = () => servers.get(driver.name)!;

  for (const [label, headerLines] of newRootCases) {
    test.serial(`${driver.name}: ${label}: served normally, one new root SERVER span, nothing reported`, async (t) => {
      t.deepEqual(await getWith(server(), headerLines), { status: 200, body: '{"ok":true}' });
      const spans = await finishedSpans(exporter, 1);
      t.is(spans.length, 1);
      const [span] = spans;
      t.is(span.name, 'drum.GET /th/:id');
      t.is(span.kind, SpanKind.SERVER);
      t.is(span.parentSpanContext, undefined);
      t.regex(span.spanContext().traceId, /^[0-9a-f]{32}$/);
      t.false([TRACE, ZERO_TRACE, B3_TRACE, '1'.repeat(32)].includes(span.spanContext().traceId));
      t.is(span.attributes['http.response.status_code'], 200);
      t.deepEqual(diagRecords, []);
    });
  }

  for (const [label, headerLines, traceId, parentId] of parentCases) {
    test.serial(`${driver.name}: ${label}: the valid parent is used and the request is served`, async (t) => {
      t.deepEqual(await getWith(server(), headerLines), { status: 200, body: '{"ok":true}' });
      const spans = await finishedSpans(exporter, 1);
      t.is(spans.length, 1);
      t.is(spans[0].spanContext().traceId, traceId);
      t.is(spans[0].parentSpanContext?.spanId, parentId);
      t.is(spans[0].parentSpanContext?.isRemote, true);
      t.deepEqual(diagRecords, []);
    });
  }

  test.serial(`${driver.name}: a 10 KB tracestate is not carried into the span context`, async (t) => {
    await getWith(server(), [`traceparent: ${VALID}`, `tracestate: vendor=${TEN_KB}`]);
    const [span] = await finishedSpans(exporter, 1);
    t.false((span.spanContext().traceState?.serialize() ?? '').includes(TEN_KB));
  });

  test.serial(`${driver.name}: a valid parent that is not sampled: served, and no span is recorded (the parent-based sampler)`, async (t) => {
    t.deepEqual(await getWith(server(), [`traceparent: 00-${TRACE}-${PARENT}-00`]), { status: 200, body: '{"ok":true}' });
    t.deepEqual(await finishedSpans(exporter, 1, 200), []);
  });

  test.serial(`${driver.name}: property: any printable traceparent is served; the span has a parent exactly when it is valid`, async (t) => {
    const hex = (length: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: length, maxLength: length });
    const traceparent = fc.oneof(
      fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength: 80 }),
      fc
        .tuple(hex(2), hex(32), hex(16), hex(2), fc.constantFrom('', '-', '-00', 'x'))
        .map(([version, traceId, spanId, flags, tail]) => `${version}-${traceId}-${spanId}-${flags}${tail}`.toLowerCase()),
    );
    await fc.assert(
      fc.asyncProperty(traceparent, async (value) => {
        exporter.reset();
        const response = await getWith(server(), [`traceparent: ${value}`]);
        if (response.status !== 200 || response.body !== '{"ok":true}') return false;
        const valid = isValidTraceparent(value);
        const sampled = valid && (parseInt(value.slice(53, 55), 16) & 1) === 1;
        const spans = await finishedSpans(exporter, valid && !sampled ? 0 : 1, 1000);
        if (valid && !sampled) return spans.length === 0;
        if (spans.length !== 1) return false;
        const parent = spans[0].parentSpanContext;
        return valid ? parent?.traceId === value.slice(3, 35) && parent.spanId === value.slice(36, 52) : parent === undefined;
      }),
      { numRuns: 60, seed: 7 },
    );
    t.deepEqual(diagRecords, []);
  });

  test.serial(`${driver.name}: a request with every kind of bad trace header at once over keep-alive: each served, one span each`, async (t) => {
    const client = await RawClient.open(server().url);
    try {
      const requests = newRootCases.map(([, headerLines]) => `${['GET /th/2 HTTP/1.1', 'Host: 127.0.0.1', ...headerLines].join('\r\n')}\r\n\r\n`);
      await client.write(requests.join(''));
      const responses = await client.responses(requests.length);
      t.deepEqual(
        responses.map((response) => response.status),
        requests.map(() => 200),
      );
    } finally {
      client.destroy();
    }
    const spans = await finishedSpans(exporter, newRootCases.length);
    t.is(spans.length, newRootCases.length);
    t.true(spans.every((span) => span.parentSpanContext === undefined));
  });
}
