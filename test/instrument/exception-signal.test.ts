import 'reflect-metadata';
import test from 'ava';
import * as api from '@opentelemetry/api';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { createRequire } from 'node:module';
import { Get, JsonController, NotFoundError } from 'routing-controllers';
import { instrumentControllers, type ExceptionSignal } from '../../src';
import { chooseExceptionSignal } from '../../src/instrument/exception-signal';
import type { ReadableSpan } from '../helpers/sdk';
import { startServer } from '../helpers/server';
import { captureDiag, finishedSpans, registerTracing, spanNamed } from '../helpers/tracing';

// Exceptions as span events, log records or both (OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN), against the real SDK:
// on the 3.x line a LoggerProvider registered through @opentelemetry/api's Logs API; on the 2.x line (api 1.9,
// no Logs API) the fallback to span events.

const { exporter } = registerTracing();
const diagRecords = captureDiag();
const hasLogsApi = 'logs' in api;

/** The 3.x SDK's LoggerProvider with an in-memory exporter, registered globally; `undefined` on the 2.x line. */
function registerLogs(): { getFinishedLogRecords(): ReadableLogRecord[]; reset(): void } | undefined {
  if (!hasLogsApi) return undefined;
  const sdkLogs: typeof import('@opentelemetry/sdk-logs') = createRequire(__filename)('@opentelemetry/sdk-logs');
  const logExporter = new sdkLogs.InMemoryLogRecordExporter();
  const provider = new sdkLogs.LoggerProvider({ processors: [new sdkLogs.SimpleLogRecordProcessor({ exporter: logExporter })] });
  api.logs.setGlobalLoggerProvider(provider);
  return logExporter;
}
const logExporter = registerLogs();

class ModelCrashed extends Error {}

let controllers = 0;

/** A controller (a new class per call: options are per controller) whose action throws, instrumented with `signal`. */
async function crash(signal: ExceptionSignal | undefined): Promise<{ span: ReadableSpan; records: ReadableLogRecord[]; status: number }> {
  exporter.reset();
  logExporter?.reset();
  const path = `/crash-${++controllers}/`;
  @JsonController()
  class CrashingController {
    @Get(path)
    crash(): never {
      throw new ModelCrashed('weights not loaded');
    }
  }
  instrumentControllers([CrashingController], signal === undefined ? {} : { exceptionSignal: signal });
  const server = await startServer({ controllers: [CrashingController] });
  try {
    const { status } = await fetch(`${server.url}${path}`);
    const spans = await finishedSpans(exporter, 1);
    return { span: spanNamed(spans, `drum.GET ${path}`), records: logExporter?.getFinishedLogRecords() ?? [], status };
  } finally {
    await server.close();
  }
}

function exceptionEvents(span: ReadableSpan): unknown[] {
  return span.events.filter((event) => event.name === 'exception').map((event) => event.attributes?.['exception.type']);
}

test('the variable: unset or blank means span events; logs and logs/dup are taken; another value warns', (t) => {
  const warnings: string[] = [];
  const warn = (message: string) => warnings.push(message);
  t.is(chooseExceptionSignal(undefined, undefined, warn), 'span-event');
  t.is(chooseExceptionSignal(undefined, '  ', warn), 'span-event');
  t.is(chooseExceptionSignal(undefined, 'logs', warn), 'logs');
  t.is(chooseExceptionSignal(undefined, ' logs/dup ', warn), 'logs/dup');
  t.is(chooseExceptionSignal('span-event', 'logs', warn), 'span-event');
  t.deepEqual(warnings, []);
  t.is(chooseExceptionSignal(undefined, 'log', warn), 'span-event');
  t.deepEqual(warnings, ['OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN="log" is invalid; expected logs or logs/dup; recording exceptions as span events']);
});

test('an exceptionSignal that is not one is an Error naming it', (t) => {
  @JsonController()
  class AnyController {}
  t.throws(() => instrumentControllers([AnyController], { exceptionSignal: 'log' as ExceptionSignal }), {
    message: 'instrumentControllers: exceptionSignal must be span-event, logs or logs/dup, got log',
  });
});

test.serial('by default: one exception span event, no log record', async (t) => {
  const { span, records, status } = await crash(undefined);
  t.is(status, 500);
  t.deepEqual(exceptionEvents(span), ['ModelCrashed']);
  t.deepEqual(records, []);
});

if (hasLogsApi) {
  test.serial('logs: one exception log record in the span context, and no span event', async (t) => {
    const { span, records, status } = await crash('logs');
    t.is(status, 500);
    t.deepEqual(exceptionEvents(span), []);
    t.is(span.status.code, api.SpanStatusCode.ERROR);
    t.is(span.attributes['error.type'], 'ModelCrashed');
    t.is(records.length, 1);
    const [record] = records;
    t.is(record.eventName, 'exception');
    t.is(record.severityNumber, api.SeverityNumber.ERROR);
    t.is(record.severityText, 'ERROR');
    t.is(record.instrumentationScope.name, 'drum-otel');
    t.is(record.spanContext?.traceId, span.spanContext().traceId);
    t.is(record.spanContext?.spanId, span.spanContext().spanId);
    t.deepEqual(Object.keys(record.attributes).sort(), ['exception.message', 'exception.stacktrace', 'exception.type']);
    t.is(record.attributes['exception.type'], 'ModelCrashed');
    t.is(record.attributes['exception.message'], 'weights not loaded');
    t.regex(String(record.attributes['exception.stacktrace']), /^Error: weights not loaded\n\s+at CrashingController\.crash/);
  });

  test.serial('logs/dup: the span event and the log record', async (t) => {
    const { span, records } = await crash('logs/dup');
    t.deepEqual(exceptionEvents(span), ['ModelCrashed']);
    t.deepEqual(records.map((record) => [record.eventName, record.attributes['exception.type'], record.spanContext?.spanId]), [
      ['exception', 'ModelCrashed', span.spanContext().spanId],
    ]);
  });

  test.serial('OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN=logs is read when instrumenting; the option wins over it', async (t) => {
    process.env.OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN = 'logs';
    try {
      const fromVariable = await crash(undefined);
      t.deepEqual([exceptionEvents(fromVariable.span), fromVariable.records.length], [[], 1]);
      const fromOption = await crash('span-event');
      t.deepEqual([exceptionEvents(fromOption.span), fromOption.records.length], [['ModelCrashed'], 0]);
    } finally {
      delete process.env.OTEL_SEMCONV_EXCEPTION_SIGNAL_OPT_IN;
    }
  });

  test.serial('a 4xx thrown by the action records no exception anywhere', async (t) => {
    logExporter!.reset();
    @JsonController()
    class MissingController {
      @Get('/missing-model/')
      missing(): never {
        throw new NotFoundError('no such model');
      }
    }
    instrumentControllers([MissingController], { exceptionSignal: 'logs/dup' });
    const server = await startServer({ controllers: [MissingController] });
    try {
      exporter.reset();
      t.is((await fetch(`${server.url}/missing-model/`)).status, 404);
      const [span] = await finishedSpans(exporter, 1);
      t.deepEqual(exceptionEvents(span), []);
      t.deepEqual(logExporter!.getFinishedLogRecords(), []);
    } finally {
      await server.close();
    }
  });
} else {
  test.serial('logs without the Logs API (@opentelemetry/api 1.9): span events, and a warning saying so', async (t) => {
    diagRecords.length = 0;
    const { span, status } = await crash('logs');
    t.is(status, 500);
    t.deepEqual(exceptionEvents(span), ['ModelCrashed']);
    t.deepEqual(
      diagRecords.map((record) => record.message),
      ['drum-otel: exceptionSignal logs needs the Logs API of @opentelemetry/api 1.10 or later; recording exceptions as span events'],
    );
  });
}
