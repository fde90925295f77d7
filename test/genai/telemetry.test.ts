import test from 'ava';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { createTracerProvider, InMemorySpanExporter, simpleProcessor, type ReadableSpan } from '../helpers/sdk';
import { GenAiTelemetry, type GenAiTelemetryOptions } from '../../src/genai';
import { captureDiag } from '../helpers/tracing';
import { createTestMeters, histogramPoints, type TestMeters } from '../helpers/metrics';

// A turn against the real SDK: a tracer provider of its own (not global) and a collecting meter provider.

const VARIABLE = 'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT';
const records = captureDiag();
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const exporter = new InMemorySpanExporter();
const tracer = createTracerProvider({ spanProcessors: [simpleProcessor(exporter)] }).getTracer('test');

const MESSAGES = [
  { role: 'system', content: 'Answer with a species.' },
  { role: 'user', content: '5.1 3.5 1.4 0.2' },
];
const ANSWER = [{ role: 'assistant', content: 'setosa' }];

test.beforeEach(() => {
  exporter.reset();
  records.length = 0;
  delete process.env[VARIABLE];
});

function telemetry(meters: TestMeters, options: Partial<GenAiTelemetryOptions> = {}): GenAiTelemetry {
  return new GenAiTelemetry({ providerName: 'datarobot', meterProvider: meters.provider, ...options });
}

/** Runs a whole turn on a fresh span and returns the exported span. */
function runTurn(genAi: GenAiTelemetry): ReadableSpan {
  const span = tracer.startSpan('drum.chat.completions');
  const turn = genAi.startTurn({ model: 'iris-assistant', maxTokens: 50, temperature: 0.5, inputTokens: 9, messages: MESSAGES }, span);
  turn.recordResponse({ id: 'chatcmpl-7', model: 'iris-assistant-v1' });
  turn.recordOutputTokens();
  turn.recordOutputTokens(2);
  turn.end({ finishReasons: ['stop'], messages: ANSWER });
  span.end();
  const [exported] = exporter.getFinishedSpans();
  return exported;
}

const RECORDED_WITHOUT_CONTENT = {
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'datarobot',
  'gen_ai.request.model': 'iris-assistant',
  'gen_ai.request.max_tokens': 50,
  'gen_ai.request.temperature': 0.5,
  'gen_ai.usage.input_tokens': 9,
  'gen_ai.response.id': 'chatcmpl-7',
  'gen_ai.response.model': 'iris-assistant-v1',
  'gen_ai.usage.output_tokens': 3,
  'gen_ai.response.finish_reasons': ['stop'],
};

const CONTENT = {
  'gen_ai.prompt.0.role': 'system',
  'gen_ai.prompt.0.content': 'Answer with a species.',
  'gen_ai.prompt.1.role': 'user',
  'gen_ai.prompt.1.content': '5.1 3.5 1.4 0.2',
  'gen_ai.prompt': '5.1 3.5 1.4 0.2',
  'gen_ai.input.messages':
    '[{"role":"system","parts":[{"type":"text","content":"Answer with a species."}]},' +
    '{"role":"user","parts":[{"type":"text","content":"5.1 3.5 1.4 0.2"}]}]',
  'gen_ai.completion.0.role': 'assistant',
  'gen_ai.completion.0.content': 'setosa',
  'gen_ai.output.messages': '[{"role":"assistant","parts":[{"type":"text","content":"setosa"}],"finish_reason":"stop"}]',
};

test.serial('by default: every gen_ai.* request/response attribute, one first-token event, no message content', async (t) => {
  const meters = createTestMeters();
  const genAi = telemetry(meters);
  t.false(genAi.captureMessageContent);
  t.is(genAi.operationName, 'chat');
  const span = runTurn(genAi);
  t.deepEqual(span.attributes, RECORDED_WITHOUT_CONTENT);
  // An event without attributes: the 2.x SDK stores {}, the 3.x SDK leaves them undefined.
  t.deepEqual(span.events.map((event) => [event.name, event.attributes ?? {}]), [['drum.first_token', {}]]);
  const [seconds, nanos] = span.events[0].time;
  const [startSeconds, startNanos] = span.startTime;
  t.true(seconds * 1e9 + nanos >= startSeconds * 1e9 + startNanos, 'the event is inside the span');
  const collected = await meters.collect();
  t.deepEqual(
    histogramPoints(collected.get('gen_ai.client.token.usage')!.metric).map((point) => [point.attributes, point.sum]),
    [
      [{ 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'datarobot', 'gen_ai.request.model': 'iris-assistant', 'gen_ai.response.model': 'iris-assistant-v1', 'gen_ai.token.type': 'input' }, 9],
      [{ 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'datarobot', 'gen_ai.request.model': 'iris-assistant', 'gen_ai.response.model': 'iris-assistant-v1', 'gen_ai.token.type': 'output' }, 3],
    ],
  );
  t.deepEqual(histogramPoints(collected.get('gen_ai.server.request.duration')!.metric).map((point) => point.count), [1]);
  t.deepEqual(histogramPoints(collected.get('gen_ai.server.time_to_first_token')!.metric).map((point) => point.count), [1]);
  t.deepEqual(records, []);
});

test.serial("captureMessageContent: true adds the conversation under DRUM's names", (t) => {
  const genAi = telemetry(createTestMeters(), { captureMessageContent: true });
  t.true(genAi.captureMessageContent);
  t.deepEqual(runTurn(genAi).attributes, { ...RECORDED_WITHOUT_CONTENT, ...CONTENT });
});

test.serial('OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true turns capture on; the option wins over it', (t) => {
  process.env[VARIABLE] = 'true';
  t.deepEqual(runTurn(telemetry(createTestMeters())).attributes, { ...RECORDED_WITHOUT_CONTENT, ...CONTENT });
  exporter.reset();
  t.deepEqual(runTurn(telemetry(createTestMeters(), { captureMessageContent: false })).attributes, RECORDED_WITHOUT_CONTENT);
});

test.serial('a bad OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: a warning, and no content', (t) => {
  process.env[VARIABLE] = 'sometimes';
  t.false(telemetry(createTestMeters()).captureMessageContent);
  t.deepEqual(
    records.map((record) => record.level),
    ['warn'],
  );
  t.regex(records[0].message, /OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT="sometimes" is not true, false/);
});

test.serial('the span defaults to the active one', (t) => {
  const genAi = telemetry(createTestMeters());
  const span = tracer.startSpan('active');
  context.with(trace.setSpan(context.active(), span), () => genAi.startTurn({ model: 'm' }).end({ finishReasons: ['length'] }));
  span.end();
  t.deepEqual(exporter.getFinishedSpans()[0].attributes, {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'datarobot',
    'gen_ai.request.model': 'm',
    'gen_ai.response.finish_reasons': ['length'],
  });
});

test.serial('a span that ended first (the client went away) keeps the tokens made until then; end() still records the metrics', async (t) => {
  const meters = createTestMeters();
  const genAi = telemetry(meters, { captureMessageContent: true });
  const span = tracer.startSpan('drum.chat.completions');
  const turn = genAi.startTurn({ model: 'm', messages: MESSAGES }, span);
  turn.recordOutputTokens();
  turn.recordOutputTokens();
  span.end();
  turn.recordOutputTokens();
  turn.recordResponse({ id: 'late' });
  turn.end({ aborted: true, finishReasons: ['stop'], messages: ANSWER });
  t.is(turn.outputTokens, 3);
  const [exported] = exporter.getFinishedSpans();
  t.is(exported.attributes['gen_ai.usage.output_tokens'], 2);
  t.false('gen_ai.response.id' in exported.attributes);
  t.false('gen_ai.completion.0.content' in exported.attributes);
  t.deepEqual(records, [], 'nothing is set on the ended span, so the SDK does not warn');
  const collected = await meters.collect();
  t.deepEqual(
    histogramPoints(collected.get('gen_ai.server.request.duration')!.metric).map((point) => point.attributes['drum.request.aborted']),
    [true],
  );
  t.deepEqual(
    histogramPoints(collected.get('gen_ai.client.token.usage')!.metric).map((point) => [point.attributes['gen_ai.token.type'], point.sum]),
    [['output', 3]],
  );
});

test.serial('recordUsage replaces the counts; a turn that never counted output records no output usage', async (t) => {
  const meters = createTestMeters();
  const genAi = telemetry(meters);
  const span = tracer.startSpan('s');
  const turn = genAi.startTurn({ model: 'm', inputTokens: 1 }, span);
  turn.recordOutputTokens(5);
  turn.recordUsage({ inputTokens: 40, outputTokens: 4 });
  turn.end();
  span.end();
  t.like(exporter.getFinishedSpans()[0].attributes, { 'gen_ai.usage.input_tokens': 40, 'gen_ai.usage.output_tokens': 4 });
  genAi.startTurn({ model: 'n' }, tracer.startSpan('other')).end({ errorType: '500' });
  const points = histogramPoints((await meters.collect()).get('gen_ai.client.token.usage')!.metric);
  t.deepEqual(
    points.map((point) => [point.attributes['gen_ai.request.model'], point.attributes['gen_ai.token.type'], point.sum]),
    [
      ['m', 'input', 40],
      ['m', 'output', 4],
    ],
  );
});

test.serial('without a span: only the metrics; metrics: false records none', async (t) => {
  const meters = createTestMeters();
  const turn = telemetry(meters).startTurn({ model: 'm' });
  t.false(turn.span.isRecording());
  turn.recordOutputTokens();
  turn.end();
  t.deepEqual(histogramPoints((await meters.collect()).get('gen_ai.server.request.duration')!.metric).map((point) => point.count), [1]);
  const silent = createTestMeters();
  telemetry(silent, { metrics: false }).startTurn({ model: 'm' }).end();
  t.deepEqual([...(await silent.collect()).keys()], []);
});

test.serial('misuse at request time is reported through diag and ignored, never thrown', (t) => {
  const span = tracer.startSpan('s');
  const turn = telemetry(createTestMeters()).startTurn({ model: 'm' }, span);
  turn.recordOutputTokens(-1);
  turn.recordOutputTokens(1.5);
  turn.recordUsage({ outputTokens: Number.NaN });
  turn.end();
  turn.end();
  span.end();
  t.deepEqual(
    records.map((record) => [record.level, record.message]),
    [
      ['warn', 'drum-otel: GenAiTurn.recordOutputTokens: -1 is not a token count (a whole number >= 0); ignored'],
      ['warn', 'drum-otel: GenAiTurn.recordOutputTokens: 1.5 is not a token count (a whole number >= 0); ignored'],
      ['warn', 'drum-otel: GenAiTurn.recordUsage outputTokens: NaN is not a token count (a whole number >= 0); ignored'],
      ['warn', 'drum-otel: GenAiTurn.end() was called again for the same turn; ignored'],
    ],
  );
  t.false('gen_ai.usage.output_tokens' in exporter.getFinishedSpans()[0].attributes);
});

test('bad options are Errors naming the option', (t) => {
  const cases: readonly (readonly [unknown, string])[] = [
    [undefined, 'GenAiTelemetry: options must be an object with providerName, got undefined'],
    [{}, 'GenAiTelemetry: providerName must be a non-empty string, got undefined'],
    [{ providerName: '' }, 'GenAiTelemetry: providerName must be a non-empty string, got '],
    [{ providerName: 'p', operationName: '' }, 'GenAiTelemetry: operationName must be a non-empty string, got '],
    [{ providerName: 'p', captureMessageContent: 'yes' }, 'GenAiTelemetry: captureMessageContent must be a boolean, got yes'],
    [{ providerName: 'p', metrics: 1 }, 'GenAiTelemetry: metrics must be a boolean, got 1'],
    [{ providerName: 'p', meterProvider: Object.create(null) }, 'GenAiMetrics: meterProvider must be a MeterProvider, got [object Object]'],
  ];
  for (const [options, message] of cases) {
    t.throws(() => new GenAiTelemetry(options as GenAiTelemetryOptions), { instanceOf: Error, message });
  }
});
