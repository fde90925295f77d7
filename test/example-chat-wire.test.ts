import 'reflect-metadata';
import test from 'ava';
import fc from 'fast-check';
import { createPredictionApp, loadIrisModel } from '../examples/prediction-server/app';
import { answer, CHAT_MODELS } from '../examples/prediction-server/chat/assistant';
import { generate } from '../examples/prediction-server/chat/generation';
import { countPromptTokens, tokenize } from '../examples/prediction-server/chat/tokens';
import { parseChatRequest } from '../examples/prediction-server/chat/wire';
import { jsonErrorMessage } from './helpers/json';
import { listen, type RunningServer } from './helpers/server';

// The example's chat pieces on their own: token counting, the assistant's answers, the request checks, and
// the OpenAI-shaped errors the routes send.

const [DETAILED, BRIEF] = CHAT_MODELS;
const MODELS = new Set(CHAT_MODELS.map((model) => model.id));
const iris = loadIrisModel();

test('tokens: words, numbers with their decimal point, and single other characters, each with the whitespace before it', (t) => {
  t.deepEqual(tokenize('Predicted species: setosa.'), ['Predicted', ' species', ':', ' setosa', '.']);
  t.deepEqual(tokenize(' 5.1, 3.5 (cm) '), [' 5.1', ',', ' 3.5', ' (', 'cm', ') ']);
  t.deepEqual(tokenize('Größe 1.2.3 – ok'), ['Größe', ' 1.2.3', ' –', ' ok']);
  t.deepEqual(tokenize(''), []);
  t.deepEqual(tokenize('  \n'), ['  \n']);
  t.is(countPromptTokens(['You are helpful.', 'Which species is 6.7, 3.0, 5.2, 2.3?']), 15);
});

test('tokens of any text join back to exactly that text', (t) => {
  fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (text) => tokenize(text).join('') === text));
  t.pass();
});

test('the assistant answers four measurements in the last user message with the species and probabilities', (t) => {
  const conversation = [
    { role: 'user', content: '4.9 3.0 1.4 0.2' },
    { role: 'assistant', content: 'setosa (0.98)' },
    { role: 'user', content: 'And 6.3, 3.3, 6.0, 2.5?' },
    { role: 'assistant', content: 'I will answer 1 2 3 4' },
  ];
  const [setosa, versicolor, virginica] = iris.probabilities([6.3, 3.3, 6.0, 2.5]);
  t.is(
    answer(iris, DETAILED, conversation),
    `Predicted species: virginica. Probabilities: setosa ${setosa.toFixed(3)}, versicolor ${versicolor.toFixed(3)}, ` +
      `virginica ${virginica.toFixed(3)} (sepal length 6.3 cm, sepal width 3.3 cm, petal length 6.0 cm, petal width 2.5 cm).`,
  );
  t.is(answer(iris, BRIEF, conversation), `virginica (${virginica.toFixed(2)})`);
  t.is(answer(iris, BRIEF, [{ role: 'user', content: '5.1 3.5 1.4 0.2' }]), 'setosa (1.00)');
});

test('without exactly four numbers the assistant says what it needs', (t) => {
  const needs =
    'I classify Iris flowers. Send four measurements in centimetres, in this order: sepal length, sepal width, ' +
    'petal length, petal width; for example "5.1, 3.5, 1.4, 0.2".';
  t.is(answer(iris, DETAILED, [{ role: 'user', content: 'hello' }]), `${needs} Your message has no numbers.`);
  t.is(answer(iris, DETAILED, [{ role: 'user', content: 'it is 5 cm' }]), `${needs} Your message has 1 number.`);
  t.is(answer(iris, DETAILED, [{ role: 'user', content: '1 2 3 4 5' }]), `${needs} Your message has 5 numbers.`);
  t.is(answer(iris, DETAILED, [{ role: 'system', content: '1 2 3 4' }]), `${needs} Your message has no numbers.`);
  t.is(answer(iris, BRIEF, [{ role: 'user', content: '1 2' }]), 'Send four measurements: sepal length, sepal width, petal length, petal width.');
});

test('generation: every token after its delay, cut by the limit, or stopped by the abort with no token after it', async (t) => {
  const signal = new AbortController().signal;
  const seen: string[] = [];
  t.deepEqual(await generate(['a', ' b', ' c'], { limit: undefined, delayMs: 0, signal }, (token) => seen.push(token)), {
    tokens: ['a', ' b', ' c'],
    end: 'stop',
  });
  t.deepEqual(seen, ['a', ' b', ' c']);
  t.deepEqual(await generate(['a', ' b', ' c'], { limit: 2, delayMs: 0, signal }, () => {}), { tokens: ['a', ' b'], end: 'length' });
  t.deepEqual(await generate(['a'], { limit: 5, delayMs: 0, signal }, () => {}), { tokens: ['a'], end: 'stop' });

  const leaveAfterOne = new AbortController();
  const written: string[] = [];
  const cut = await generate(['a', ' b', ' c'], { limit: undefined, delayMs: 0, signal: leaveAfterOne.signal }, (token) => {
    written.push(token);
    leaveAfterOne.abort();
  });
  t.deepEqual([cut, written], [{ tokens: ['a'], end: 'aborted' }, ['a']]);

  // An abort during a long wait ends it at once (else this test would time out).
  const leaveWhileWaiting = new AbortController();
  const waiting = generate(['a'], { limit: undefined, delayMs: 600_000, signal: leaveWhileWaiting.signal }, () => t.fail());
  setImmediate(() => leaveWhileWaiting.abort());
  t.deepEqual(await waiting, { tokens: [], end: 'aborted' });
});

const message = [{ role: 'user', content: 'hi' }];
const badRequests: readonly (readonly [label: string, body: unknown, status: number, error: object])[] = [
  ['no body', Buffer.alloc(0), 400, { message: 'The request body is empty; send a chat completion request as JSON.', param: null, code: null }],
  ['malformed JSON', Buffer.from('{"model":'), 400, { message: `We could not parse the JSON body of your request: ${jsonErrorMessage('{"model":')}`, param: null, code: null }],
  ['a JSON array', Buffer.from('[]'), 400, { message: 'The request body must be a JSON object.', param: null, code: null }],
  ['no model', { messages: message }, 400, { message: 'You must provide a model parameter.', param: 'model', code: null }],
  ['a model of another type', { model: 7, messages: message }, 400, { message: "Invalid type for 'model': expected a string.", param: 'model', code: 'invalid_type' }],
  ['an unknown model', { model: 'gpt-4o', messages: message }, 400, { message: 'The model `gpt-4o` does not exist; GET /v1/models lists the models served.', param: 'model', code: 'model_not_found' }],
  ['no messages', { model: 'iris-assistant' }, 400, { message: "Missing required parameter: 'messages'.", param: 'messages', code: null }],
  ['messages not a list', { model: 'iris-assistant', messages: 'hi' }, 400, { message: "Invalid type for 'messages': expected an array.", param: 'messages', code: 'invalid_type' }],
  ['empty messages', { model: 'iris-assistant', messages: [] }, 400, { message: "Invalid 'messages': empty array. Expected an array with minimum length 1.", param: 'messages', code: 'empty_array' }],
  ['an unknown role', { model: 'iris-assistant', messages: [{ role: 'robot', content: 'x' }] }, 400, { message: "Invalid 'messages[0].role': expected one of system, developer, user, assistant, tool.", param: 'messages[0].role', code: null }],
  ['content that is not text', { model: 'iris-assistant', messages: [message[0], { role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] }, 400, { message: "Invalid 'messages[1].content': expected a string or an array of text parts.", param: 'messages[1].content', code: null }],
  ['max_tokens 0', { model: 'iris-assistant', messages: message, max_tokens: 0 }, 400, { message: "Invalid 'max_tokens': 0 is below the minimum of 1.", param: 'max_tokens', code: 'integer_below_min_value' }],
  ['max_tokens -3', { model: 'iris-assistant', messages: message, max_tokens: -3 }, 400, { message: "Invalid 'max_tokens': -3 is below the minimum of 1.", param: 'max_tokens', code: 'integer_below_min_value' }],
  ['max_tokens 2.5', { model: 'iris-assistant', messages: message, max_tokens: 2.5 }, 400, { message: "Invalid type for 'max_tokens': expected an integer.", param: 'max_tokens', code: 'invalid_type' }],
  ['max_tokens "10"', { model: 'iris-assistant', messages: message, max_tokens: '10' }, 400, { message: "Invalid type for 'max_tokens': expected an integer.", param: 'max_tokens', code: 'invalid_type' }],
  ['max_completion_tokens 0', { model: 'iris-assistant', messages: message, max_completion_tokens: 0 }, 400, { message: "Invalid 'max_completion_tokens': 0 is below the minimum of 1.", param: 'max_completion_tokens', code: 'integer_below_min_value' }],
  ['temperature 3', { model: 'iris-assistant', messages: message, temperature: 3 }, 400, { message: "Invalid 'temperature': expected a number from 0 to 2.", param: 'temperature', code: null }],
  ['stream "yes"', { model: 'iris-assistant', messages: message, stream: 'yes' }, 400, { message: "Invalid type for 'stream': expected a boolean.", param: 'stream', code: 'invalid_type' }],
  ['stream_options without stream', { model: 'iris-assistant', messages: message, stream_options: { include_usage: true } }, 400, { message: "The 'stream_options' parameter is only allowed when 'stream' is enabled.", param: 'stream_options', code: null }],
  ['n 2', { model: 'iris-assistant', messages: message, n: 2 }, 400, { message: "Invalid 'n': this server makes one choice (n=1).", param: 'n', code: null }],
];

function bodyOf(value: unknown): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value));
}

for (const [label, body, status, error] of badRequests) {
  test(`request check: ${label} → ${status} naming the problem`, (t) => {
    t.deepEqual(parseChatRequest(bodyOf(body), MODELS), { status, body: { error: { ...error, type: 'invalid_request_error' } } });
  });
}

test('request check: what a valid request carries', (t) => {
  t.deepEqual(
    parseChatRequest(
      bodyOf({
        model: 'iris-assistant-mini',
        messages: [{ role: 'user', content: [{ type: 'text', text: '5.1 3.5 ' }, { type: 'text', text: '1.4 0.2' }] }],
        max_tokens: 9,
        max_completion_tokens: 4,
        temperature: 0,
        stream: true,
        stream_options: { include_usage: true },
        n: 1,
      }),
      MODELS,
    ),
    {
      model: 'iris-assistant-mini',
      messages: [{ role: 'user', content: '5.1 3.5 1.4 0.2' }],
      stream: true,
      includeUsage: true,
      maxTokens: 4,
      temperature: 0,
    },
  );
  t.deepEqual(
    parseChatRequest(bodyOf({ model: 'iris-assistant', messages: message, max_tokens: null, temperature: null, stream: null }), MODELS),
    { model: 'iris-assistant', messages: message, stream: false, includeUsage: false, maxTokens: undefined, temperature: undefined },
  );
});

let server: RunningServer;

test.before(async () => {
  server = await listen(createPredictionApp({ tracing: false, maxBodyBytes: 1024, chat: { tokenDelayMs: 0 } }));
});

test.after.always(async () => {
  await server?.close();
});

test('over HTTP: malformed JSON, no body and an oversize body get OpenAI-shaped errors on both routes', async (t) => {
  const oversize = JSON.stringify({ model: 'iris-assistant', messages: [{ role: 'user', content: 'x'.repeat(2000) }] });
  for (const path of ['/chat/completions', '/v1/chat/completions']) {
    for (const [body, status, text] of [
      ['{"model":', 400, `We could not parse the JSON body of your request: ${jsonErrorMessage('{"model":')}`],
      ['', 400, 'The request body is empty; send a chat completion request as JSON.'],
      [oversize, 413, 'The request body is larger than the limit of 1024 bytes.'],
    ] as const) {
      const response = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      t.is(response.status, status, `${path} ${body.slice(0, 10)}`);
      t.regex(response.headers.get('content-type') ?? '', /^application\/json/);
      t.deepEqual(await response.json(), { error: { message: text, type: 'invalid_request_error', param: null, code: null } });
    }
  }
});
