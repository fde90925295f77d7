import test from 'ava';
import { SpanStatusCode } from '@opentelemetry/api';
import { createTracerProvider, InMemorySpanExporter, simpleProcessor, type ReadableSpan } from './helpers/sdk';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyOutcome, defaultSpanName, errorType, outcomeErrorType, routeTemplate, type RequestOutcome } from '../src/span';
import { VERSION } from '../src/version';

const exporter = new InMemorySpanExporter();
const tracer = createTracerProvider({ spanProcessors: [simpleProcessor(exporter)] }).getTracer('span-test');

function outcomeSpan(outcome: Partial<RequestOutcome>): ReadableSpan {
  exporter.reset();
  const span = tracer.startSpan('s');
  applyOutcome(span, { statusCode: 200, aborted: false, failed: false, error: undefined, ...outcome });
  span.end();
  return exporter.getFinishedSpans()[0];
}

test('span names and route templates', (t) => {
  t.is(defaultSpanName('drum', 'POST', '/predict/'), 'drum.POST /predict/');
  t.is(routeTemplate('/models/:id'), '/models/:id');
  t.is(routeTemplate(/^\/v\d+\/predict$/i), '/^\\/v\\d+\\/predict$/i');
});

test('2xx and 4xx leave the status UNSET with both status code attributes', (t) => {
  for (const statusCode of [200, 204, 400, 404, 499]) {
    const span = outcomeSpan({ statusCode });
    t.deepEqual(span.attributes, { 'http.response.status_code': statusCode, 'http.status_code': statusCode });
    t.is(span.status.code, SpanStatusCode.UNSET);
    t.deepEqual(span.events, []);
  }
});

test('4xx from an exception stays UNSET without an exception event', (t) => {
  const span = outcomeSpan({ statusCode: 418, failed: true, error: new Error('teapot') });
  t.is(span.status.code, SpanStatusCode.UNSET);
  t.deepEqual(span.events, []);
  t.is(span.attributes['error.type'], undefined);
});

test('5xx without an exception: ERROR with error.type the status code', (t) => {
  const span = outcomeSpan({ statusCode: 503 });
  t.deepEqual(span.status, { code: SpanStatusCode.ERROR });
  t.is(span.attributes['error.type'], '503');
  t.deepEqual(span.events, []);
});

test('5xx from an exception: ERROR, error.type the class, one exception event', (t) => {
  const span = outcomeSpan({ statusCode: 500, failed: true, error: new SyntaxError('bad') });
  t.deepEqual(span.status, { code: SpanStatusCode.ERROR, message: 'bad' });
  t.is(span.attributes['error.type'], 'SyntaxError');
  t.is(span.events.length, 1);
  t.is(span.events[0].attributes?.['exception.type'], 'SyntaxError');
  t.is(span.events[0].attributes?.['exception.message'], 'bad');
});

test('odd thrown values are recorded without throwing', (t) => {
  const hostile = new Error('x');
  Object.defineProperty(hostile, 'message', { get: () => { throw new Error('getter'); } });
  for (const [error, type, message] of [
    [null, '_OTHER', 'null'],
    ['plain string', '_OTHER', 'plain string'],
    [{ code: 1 }, '_OTHER', '[object Object]'],
    [hostile, 'Error', ''],
  ] as const) {
    const span = outcomeSpan({ statusCode: 500, failed: true, error });
    t.is(span.attributes['error.type'], type);
    t.is(span.events.length, 1);
    t.is(span.events[0].attributes?.['exception.message'] ?? '', message);
  }
});

test('an aborted request is marked; no status code when no response head was sent', (t) => {
  const span = outcomeSpan({ statusCode: undefined, aborted: true });
  t.deepEqual(span.attributes, { 'drum.request.aborted': true });
  t.is(span.status.code, SpanStatusCode.UNSET);
});

test('outcomeErrorType: the exception class or the status code for 5xx, nothing below', (t) => {
  const outcome = (statusCode: number | undefined, error?: unknown): RequestOutcome => ({ statusCode, aborted: false, failed: error !== undefined, error });
  t.is(outcomeErrorType(outcome(500, new TypeError('x'))), 'TypeError');
  t.is(outcomeErrorType(outcome(503)), '503');
  t.is(outcomeErrorType(outcome(404, new Error('x'))), undefined);
  t.is(outcomeErrorType(outcome(200)), undefined);
  t.is(outcomeErrorType(outcome(undefined, new Error('x'))), undefined);
});

test('errorType', (t) => {
  class ModelError extends Error {}
  t.is(errorType(new ModelError('m')), 'ModelError');
  t.is(errorType('string'), '_OTHER');
  t.is(errorType(undefined), '_OTHER');
});

test('VERSION is the package version', (t) => {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'));
  t.is(VERSION, pkg.version);
});
