import test from 'ava';
import {
  completionAttributes,
  genAiRequestAttributes,
  genAiResponseAttributes,
  promptAttributes,
} from '../../src/genai/attributes';

test('request attributes: operation, provider and model always; limits and input tokens when given', (t) => {
  t.deepEqual(genAiRequestAttributes('chat', 'datarobot', { model: 'm' }), {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'datarobot',
    'gen_ai.request.model': 'm',
  });
  t.deepEqual(
    genAiRequestAttributes('text_completion', 'openai', { model: 'm', maxTokens: 0, temperature: 0, inputTokens: 12, messages: [] }),
    {
      'gen_ai.operation.name': 'text_completion',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'm',
      'gen_ai.request.max_tokens': 0,
      'gen_ai.request.temperature': 0,
      'gen_ai.usage.input_tokens': 12,
    },
  );
});

test('response attributes: only those given', (t) => {
  t.deepEqual(genAiResponseAttributes({}), {});
  t.deepEqual(genAiResponseAttributes({ id: 'chatcmpl-1' }), { 'gen_ai.response.id': 'chatcmpl-1' });
  t.deepEqual(genAiResponseAttributes({ id: 'r', model: 'm-2' }), { 'gen_ai.response.id': 'r', 'gen_ai.response.model': 'm-2' });
});

test("prompt attributes: DRUM's indexed names, the last message as gen_ai.prompt, the conventions' JSON", (t) => {
  const attributes = promptAttributes([
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Say "hi"\nnow' },
  ]);
  t.deepEqual(attributes, {
    'gen_ai.prompt.0.role': 'system',
    'gen_ai.prompt.0.content': 'Be brief.',
    'gen_ai.prompt.1.role': 'user',
    'gen_ai.prompt.1.content': 'Say "hi"\nnow',
    'gen_ai.prompt': 'Say "hi"\nnow',
    'gen_ai.input.messages':
      '[{"role":"system","parts":[{"type":"text","content":"Be brief."}]},' +
      '{"role":"user","parts":[{"type":"text","content":"Say \\"hi\\"\\nnow"}]}]',
  });
  t.deepEqual(JSON.parse(attributes['gen_ai.input.messages'] as string)[1], {
    role: 'user',
    parts: [{ type: 'text', content: 'Say "hi"\nnow' }],
  });
});

test('prompt attributes of no messages: an empty JSON list and no gen_ai.prompt', (t) => {
  t.deepEqual(promptAttributes([]), { 'gen_ai.input.messages': '[]' });
});

test('completion attributes: indexed names and output messages with the finish reason of each choice', (t) => {
  t.deepEqual(
    completionAttributes(
      [
        { role: 'assistant', content: 'Hello.' },
        { role: 'assistant', content: 'Hel' },
      ],
      ['stop', 'length'],
    ),
    {
      'gen_ai.completion.0.role': 'assistant',
      'gen_ai.completion.0.content': 'Hello.',
      'gen_ai.completion.1.role': 'assistant',
      'gen_ai.completion.1.content': 'Hel',
      'gen_ai.output.messages':
        '[{"role":"assistant","parts":[{"type":"text","content":"Hello."}],"finish_reason":"stop"},' +
        '{"role":"assistant","parts":[{"type":"text","content":"Hel"}],"finish_reason":"length"}]',
    },
  );
});

test('completion attributes without finish reasons leave finish_reason out', (t) => {
  t.deepEqual(completionAttributes([{ role: 'assistant', content: 'x' }]), {
    'gen_ai.completion.0.role': 'assistant',
    'gen_ai.completion.0.content': 'x',
    'gen_ai.output.messages': '[{"role":"assistant","parts":[{"type":"text","content":"x"}]}]',
  });
});
