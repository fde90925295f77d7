import test from 'ava';
import OpenAI from 'openai';
import { startReceiver } from './otlp-receiver';
import { PREDICTION_SERVER, send, startProcess } from './server-process';

// The example server as `npm start` runs it, with CHAT_TOKEN_DELAY_MS from its environment, exporting
// OTLP/HTTP JSON: the chat spans arrive with the conversation (captured in the example), the model list has none.

const TRACE = '5bf92f3577b34da6a3ce929d0e0e4736';
const STREAM_TRACE = '6bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';
const SERVER_KIND = 2;

test('chat completions, whole and streamed: one exported span each with gen_ai.* and the conversation; no span for /v1/models', async (t) => {
  const receiver = await startReceiver();
  try {
    const server = await startProcess(t, PREDICTION_SERVER, {
      PORT: '0',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      CHAT_TOKEN_DELAY_MS: '1',
    });
    const client = new OpenAI({ apiKey: 'not-checked', baseURL: `${server.url}/v1`, maxRetries: 0 });
    const messages = [{ role: 'user' as const, content: '5.1 3.5 1.4 0.2' }];
    const whole = await client.chat.completions.create(
      { model: 'iris-assistant-mini', messages },
      { headers: { traceparent: `00-${TRACE}-${PARENT}-01` } },
    );
    t.is(whole.choices[0].message.content, 'setosa (1.00)');
    const stream = await client.chat.completions.create(
      { model: 'iris-assistant-mini', messages, stream: true },
      { headers: { traceparent: `00-${STREAM_TRACE}-${PARENT}-01` } },
    );
    let streamed = '';
    for await (const chunk of stream) streamed += chunk.choices[0]?.delta.content ?? '';
    t.is(streamed, 'setosa (1.00)');
    t.is((await send(`${server.url}/v1/models`)).status, 200);
    t.deepEqual([(await server.stop('SIGTERM')).code], [0]);

    const spans = receiver.spans();
    t.deepEqual(spans.map((span) => [span.name, span.traceId, span.parentSpanId, span.kind]).sort(), [
      ['drum.chat.completions', TRACE, PARENT, SERVER_KIND],
      ['drum.chat.completions', STREAM_TRACE, PARENT, SERVER_KIND],
    ]);
    for (const span of spans) {
      t.like(span.attributes, {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'datarobot',
        'gen_ai.request.model': 'iris-assistant-mini',
        'gen_ai.response.model': 'iris-assistant-mini',
        'gen_ai.usage.input_tokens': 4,
        'gen_ai.usage.output_tokens': 4,
        'gen_ai.response.finish_reasons': ['stop'],
        'gen_ai.prompt': '5.1 3.5 1.4 0.2',
        'gen_ai.prompt.0.role': 'user',
        'gen_ai.completion.0.content': 'setosa (1.00)',
        'http.route': '/v1/chat/completions',
        'http.response.status_code': 200,
      });
    }
    t.is(spans.find((span) => span.traceId === TRACE)?.attributes['gen_ai.response.id'], whole.id);
  } finally {
    await receiver.close();
  }
});
