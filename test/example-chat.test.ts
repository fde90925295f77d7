import 'reflect-metadata';
import test, { type ExecutionContext } from 'ava';
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from './helpers/sdk';
import { randomBytes } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import OpenAI, { BadRequestError } from 'openai';
import { VERSION as OPENAI_VERSION } from 'openai/version';
import type { GenerationReport } from '../examples/prediction-server/chat/completions';
import { PREDICTION_APP_DRIVERS } from './helpers/prediction-apps';
import type { RunningServer } from './helpers/server';
import { registerTracing } from './helpers/tracing';

// The example app's chat routes in-process, on Express and on Koa, through the official `openai` client, with
// the real SDK: what the client gets and the one span each request leaves.

const { exporter } = registerTracing();

/** Generation reports of the example's chat routes, by completion id: what tells a test that a loop exited. */
class GenerationReports {
  private readonly seen = new Map<string, GenerationReport>();
  private readonly events = new EventEmitter();

  readonly add = (report: GenerationReport): void => {
    this.seen.set(report.id, report);
    this.events.emit(report.id, report);
  };

  async waitFor(id: string): Promise<GenerationReport> {
    const seen = this.seen.get(id);
    if (seen !== undefined) return seen;
    const [report] = (await once(this.events, id)) as [GenerationReport];
    return report;
  }
}

const reports = new GenerationReports();
// Fast tokens where timing is not the point; slow ones for the abort, so the client can leave mid-answer.
const SLOW_TOKEN_MS = 500;

function client(server: RunningServer, basePath = '/v1'): OpenAI {
  return new OpenAI({ apiKey: 'not-checked', baseURL: `${server.url}${basePath}`, maxRetries: 0 });
}

/** A fresh W3C parent: its ids, and the header that carries them. */
function parent(): { traceId: string; spanId: string; headers: { traceparent: string } } {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, headers: { traceparent: `00-${traceId}-${spanId}-01` } };
}

/** Waits until a span of `traceId` has ended, then one more turn, and returns the only one (failing on more). */
async function spanOfTrace(t: ExecutionContext, traceId: string): Promise<ReadableSpan> {
  const ofTrace = () => exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
  const deadline = Date.now() + 10_000;
  while (ofTrace().length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 2));
  await new Promise((resolve) => setTimeout(resolve, 20));
  const spans = ofTrace();
  t.is(spans.length, 1, `spans of trace ${traceId}: ${spans.map((span) => span.name).join(', ')}`);
  return spans[0];
}

const VIRGINICA = 'Which species is 6.7, 3.0, 5.2, 2.3?';
const VIRGINICA_ANSWER =
  'Predicted species: virginica. Probabilities: setosa 0.000, versicolor 0.006, virginica 0.994 ' +
  '(sepal length 6.7 cm, sepal width 3.0 cm, petal length 5.2 cm, petal width 2.3 cm).';
// The tokens of the answer: words, numbers and each other character, with the whitespace before them.
const VIRGINICA_ANSWER_TOKENS = 37;
const MESSAGES = [
  { role: 'system' as const, content: 'You are helpful.' },
  { role: 'user' as const, content: VIRGINICA },
];
// "You"," are"," helpful","." + "Which"," species"," is"," 6.7",","," 3.0",","," 5.2",","," 2.3","?"
const PROMPT_TOKENS = 15;

const VIRGINICA_USAGE = {
  prompt_tokens: PROMPT_TOKENS,
  completion_tokens: VIRGINICA_ANSWER_TOKENS,
  total_tokens: PROMPT_TOKENS + VIRGINICA_ANSWER_TOKENS,
};

/** The HTTP server attributes of a span of a request the `openai` client sent to `server` on `route`. */
function httpAttributes(server: RunningServer, route: string): Record<string, unknown> {
  return {
    'http.request.method': 'POST',
    'http.route': route,
    'url.path': route,
    'url.scheme': 'http',
    'server.address': '127.0.0.1',
    'server.port': Number(new URL(server.url).port),
    'client.address': '127.0.0.1',
    'network.protocol.version': '1.1',
    'user_agent.original': `OpenAI/JS ${OPENAI_VERSION}`,
  };
}

/** Every attribute of the span of a completed `iris-assistant` answer to MESSAGES, in the order they are set. */
function virginicaSpanAttributes(server: RunningServer, route: string, id: string, requested: Record<string, number> = {}): Record<string, unknown> {
  return {
    ...httpAttributes(server, route),
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'datarobot',
    'gen_ai.request.model': 'iris-assistant',
    ...requested,
    'gen_ai.usage.input_tokens': PROMPT_TOKENS,
    'gen_ai.prompt.0.role': 'system',
    'gen_ai.prompt.0.content': 'You are helpful.',
    'gen_ai.prompt.1.role': 'user',
    'gen_ai.prompt.1.content': VIRGINICA,
    'gen_ai.prompt': VIRGINICA,
    'gen_ai.input.messages': JSON.stringify(MESSAGES.map(({ role, content }) => ({ role, parts: [{ type: 'text', content }] }))),
    'gen_ai.response.id': id,
    'gen_ai.response.model': 'iris-assistant',
    'gen_ai.usage.output_tokens': VIRGINICA_ANSWER_TOKENS,
    'gen_ai.response.finish_reasons': ['stop'],
    'gen_ai.completion.0.role': 'assistant',
    'gen_ai.completion.0.content': VIRGINICA_ANSWER,
    'gen_ai.output.messages': JSON.stringify([
      { role: 'assistant', parts: [{ type: 'text', content: VIRGINICA_ANSWER }], finish_reason: 'stop' },
    ]),
    'http.response.status_code': 200,
    'http.status_code': 200,
  };
}

for (const driver of PREDICTION_APP_DRIVERS) {
  let fast: RunningServer;
  let slow: RunningServer;

  test.before(async () => {
    fast = await driver.listen({ chat: { tokenDelayMs: 1, onGeneration: reports.add } });
    slow = await driver.listen({ chat: { tokenDelayMs: SLOW_TOKEN_MS, onGeneration: reports.add } });
  });

  test.after.always(async () => {
    await fast?.close();
    await slow?.close();
  });

  test(`${driver.name}: create, not streamed: the answer with usage; one SERVER span with every gen_ai.* attribute and the conversation`, async (t) => {
    const { traceId, spanId, headers } = parent();
    const completion = await client(fast).chat.completions.create(
      { model: 'iris-assistant', messages: MESSAGES, max_tokens: 100, temperature: 0.2 },
      { headers },
    );
    t.is(completion.object, 'chat.completion');
    t.is(completion.model, 'iris-assistant');
    t.regex(completion.id, /^chatcmpl-[0-9a-f]{32}$/);
    t.deepEqual(completion.choices, [
      { index: 0, message: { role: 'assistant', content: VIRGINICA_ANSWER, refusal: null }, logprobs: null, finish_reason: 'stop' },
    ]);
    t.deepEqual(completion.usage, VIRGINICA_USAGE);

    const span = await spanOfTrace(t, traceId);
    t.is(span.name, 'drum.chat.completions');
    t.is(span.kind, SpanKind.SERVER);
    t.is(span.parentSpanContext?.spanId, spanId);
    t.deepEqual(
      span.attributes,
      virginicaSpanAttributes(fast, '/v1/chat/completions', completion.id, { 'gen_ai.request.max_tokens': 100, 'gen_ai.request.temperature': 0.2 }),
    );
    t.deepEqual(span.events.map((event) => event.name), ['drum.first_token']);
    t.deepEqual(span.status, { code: 0 });
  });

  test(`${driver.name}: create, streamed on /chat/completions: chunks join to the same answer, then finish_reason, usage, [DONE]; one span`, async (t) => {
    const { traceId, spanId, headers } = parent();
    const stream = await client(fast, '').chat.completions.create(
      { model: 'iris-assistant', messages: MESSAGES, stream: true, stream_options: { include_usage: true } },
      { headers },
    );
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    const contents = chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.delta.content ?? ''));
    t.is(contents.join(''), VIRGINICA_ANSWER);
    t.is(new Set(chunks.map((chunk) => chunk.id)).size, 1);
    t.true(chunks.every((chunk) => chunk.object === 'chat.completion.chunk' && chunk.model === 'iris-assistant'));
    t.deepEqual(chunks[0].choices[0].delta, { role: 'assistant', content: '' });
    const contentChunks = chunks.slice(1, -2);
    t.is(contentChunks.length, VIRGINICA_ANSWER_TOKENS);
    t.true(contentChunks.every((chunk) => chunk.choices[0].finish_reason === null && chunk.usage === null));
    const [finish, usage] = chunks.slice(-2);
    t.deepEqual(finish.choices, [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]);
    t.deepEqual(usage.choices, []);
    t.deepEqual(usage.usage, VIRGINICA_USAGE);

    const span = await spanOfTrace(t, traceId);
    t.is(span.name, 'drum.chat.completions');
    t.is(span.parentSpanContext?.spanId, spanId);
    t.deepEqual(span.attributes, virginicaSpanAttributes(fast, '/chat/completions', chunks[0].id));
    t.deepEqual(span.events.map((event) => event.name), ['drum.first_token']);
  });

  test(`${driver.name}: max_tokens cuts the answer with finish_reason "length"; a stream without include_usage has no usage chunk`, async (t) => {
    const { traceId, headers } = parent();
    const stream = await client(fast).chat.completions.create(
      { model: 'iris-assistant-mini', messages: [{ role: 'user', content: 'hello' }], max_tokens: 3, stream: true },
      { headers },
    );
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    t.deepEqual(
      chunks.map((chunk) => [chunk.choices[0].delta.content, chunk.choices[0].finish_reason, 'usage' in chunk]),
      [
        ['', null, false],
        ['Send', null, false],
        [' four', null, false],
        [' measurements', null, false],
        [undefined, 'length', false],
      ],
    );
    const span = await spanOfTrace(t, traceId);
    t.like(span.attributes, {
      'gen_ai.request.model': 'iris-assistant-mini',
      'gen_ai.request.max_tokens': 3,
      'gen_ai.usage.output_tokens': 3,
      'gen_ai.response.finish_reasons': ['length'],
      'gen_ai.completion.0.content': 'Send four measurements',
    });
  });

  test(`${driver.name}: models.list() on /v1/models and /models: the served models, and no span`, async (t) => {
    const { traceId, headers } = parent();
    for (const basePath of ['/v1', '']) {
      const models = [];
      for await (const model of client(fast, basePath).models.list({ headers })) models.push(model);
      t.deepEqual(models, [
        { id: 'iris-assistant', object: 'model', created: 1735689600, owned_by: 'drum-otel' },
        { id: 'iris-assistant-mini', object: 'model', created: 1735689600, owned_by: 'drum-otel' },
      ]);
    }
    // A traced request of the same trace afterwards: its span is the trace's only one.
    await client(fast).chat.completions.create({ model: 'iris-assistant-mini', messages: [{ role: 'user', content: '1 2 3 4' }] }, { headers });
    t.is((await spanOfTrace(t, traceId)).name, 'drum.chat.completions');
  });

  test(`${driver.name}: a bad request: OpenAI-shaped 400 the client raises as BadRequestError; the span has the 400 and no gen_ai.* attributes`, async (t) => {
    const { traceId, headers } = parent();
    const error = await t.throwsAsync(
      client(fast).chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }, { headers }),
      { instanceOf: BadRequestError },
    );
    t.is(error?.status, 400);
    t.deepEqual(error?.error, {
      message: 'The model `gpt-4o` does not exist; GET /v1/models lists the models served.',
      type: 'invalid_request_error',
      param: 'model',
      code: 'model_not_found',
    });
    const span = await spanOfTrace(t, traceId);
    t.deepEqual(span.attributes, {
      ...httpAttributes(fast, '/v1/chat/completions'),
      'http.response.status_code': 400,
      'http.status_code': 400,
    });
  });

  test(`${driver.name}: the client aborts after 3 tokens: generation stops within one token; the span ends once, aborted, with the tokens made`, async (t) => {
    const { traceId, headers } = parent();
    const leave = new AbortController();
    const stream = await client(slow).chat.completions.create(
      { model: 'iris-assistant', messages: MESSAGES, stream: true },
      { headers, signal: leave.signal },
    );
    let id = '';
    let received = 0;
    const finishReasons: (string | null)[] = [];
    // The client's stream ends quietly when its signal aborts it.
    for await (const chunk of stream) {
      id = chunk.id;
      finishReasons.push(chunk.choices[0]?.finish_reason ?? null);
      if ((chunk.choices[0]?.delta.content ?? '') !== '' && ++received === 3) leave.abort();
    }
    t.is(received, 3);
    t.deepEqual(finishReasons, [null, null, null, null], 'the role chunk and 3 tokens, no end');

    // The generation loop reports its exit: after it, nothing more can be produced or written.
    const report = await reports.waitFor(id);
    t.is(report.end, 'aborted');
    t.true(report.outputTokens >= 3 && report.outputTokens <= 4, `tokens produced: ${report.outputTokens}`);
    const span = await spanOfTrace(t, traceId);
    t.is(span.name, 'drum.chat.completions');
    t.like(span.attributes, {
      'drum.request.aborted': true,
      'gen_ai.response.id': id,
      'gen_ai.usage.output_tokens': report.outputTokens,
      'http.response.status_code': 200,
    });
    t.false('gen_ai.response.finish_reasons' in span.attributes);
    t.false('gen_ai.completion.0.content' in span.attributes);
    t.deepEqual(span.events.map((event) => event.name), ['drum.first_token']);
  });

  test(`${driver.name}: 50 concurrent streamed requests: 50 spans, each with its own parent, model, prompt, answer and tokens`, async (t) => {
    const requests = Array.from({ length: 50 }, (_, i) => ({
      parent: parent(),
      model: i % 2 === 0 ? 'iris-assistant' : 'iris-assistant-mini',
      question: `Measurements ${(4.5 + i * 0.07).toFixed(2)} ${(2.5 + (i % 7) * 0.2).toFixed(1)} ${(1 + i * 0.11).toFixed(2)} ${(0.1 + i * 0.048).toFixed(3)}`,
    }));
    const answers = await Promise.all(
      requests.map(async (request) => {
        const stream = await client(fast).chat.completions.create(
          { model: request.model, messages: [{ role: 'user', content: request.question }], stream: true, stream_options: { include_usage: true } },
          { headers: request.parent.headers },
        );
        const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
        for await (const chunk of stream) chunks.push(chunk);
        return {
          id: chunks[0].id,
          text: chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.delta.content ?? '')).join(''),
          usage: chunks[chunks.length - 1].usage!,
        };
      }),
    );
    t.is(new Set(answers.map((answer) => answer.id)).size, 50);
    for (const [i, request] of requests.entries()) {
      const answer = answers[i];
      const span = await spanOfTrace(t, request.parent.traceId);
      t.is(span.parentSpanContext?.spanId, request.parent.spanId);
      t.like(span.attributes, {
        'gen_ai.request.model': request.model,
        'gen_ai.response.model': request.model,
        'gen_ai.response.id': answer.id,
        'gen_ai.prompt': request.question,
        'gen_ai.completion.0.content': answer.text,
        'gen_ai.usage.input_tokens': answer.usage.prompt_tokens,
        'gen_ai.usage.output_tokens': answer.usage.completion_tokens,
        'gen_ai.response.finish_reasons': ['stop'],
      });
      t.regex(answer.text, request.model === 'iris-assistant' ? /^Predicted species: \w+\. Probabilities: / : /^\w+ \(\d\.\d\d\)$/);
    }
  });
}
