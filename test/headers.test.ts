import test from 'ava';
import {
  captureRequestHeaders,
  addLowerCaseIdentityAttributes,
  extractRequestHeaders,
  isCredentialHeader,
  prepareHeaderCaptures,
} from '../src/headers';

test('extractRequestHeaders maps the two DataRobot identity headers, in any case', (t) => {
  t.deepEqual(extractRequestHeaders({ 'x-datarobot-consumer-id': 'u1', 'x-datarobot-consumer-type': 'user' }), {
    'gen_ai.request.consumer_id': 'u1',
    'gen_ai.request.consumer_type': 'user',
  });
  t.deepEqual(extractRequestHeaders({ 'X-DataRobot-Consumer-Id': 'u2', 'X-DATAROBOT-CONSUMER-TYPE': 'service' }), {
    'gen_ai.request.consumer_id': 'u2',
    'gen_ai.request.consumer_type': 'service',
  });
});

test('extractRequestHeaders skips absent and empty values and ignores every other header', (t) => {
  t.deepEqual(extractRequestHeaders({ 'x-datarobot-consumer-id': '', 'x-datarobot-consumer-type': undefined, authorization: 'secret' }), {});
  t.deepEqual(extractRequestHeaders({ 'x-datarobot-consumer-id': [], host: 'h' }), {});
  t.deepEqual(extractRequestHeaders({}), {});
});

test('extractRequestHeaders joins repeated values, keeps numbers, and yields nothing for non-records', (t) => {
  t.deepEqual(extractRequestHeaders({ 'x-datarobot-consumer-id': ['a', '', 'b'], 'x-datarobot-consumer-type': 7 }), {
    'gen_ai.request.consumer_id': 'a, b',
    'gen_ai.request.consumer_type': '7',
  });
  t.deepEqual(extractRequestHeaders(null as never), {});
  t.deepEqual(extractRequestHeaders('x-datarobot-consumer-id: u' as never), {});
});

test('the lower-case fast path agrees with extractRequestHeaders on Node-style headers', (t) => {
  const headers = { 'x-datarobot-consumer-id': 'u3', 'x-datarobot-consumer-type': 'user', accept: '*/*' };
  t.deepEqual(addLowerCaseIdentityAttributes(headers, {}), extractRequestHeaders(headers));
  t.deepEqual(addLowerCaseIdentityAttributes(headers, { 'http.route': '/r' }), { 'http.route': '/r', ...extractRequestHeaders(headers) });
  t.deepEqual(addLowerCaseIdentityAttributes({ 'X-DataRobot-Consumer-Id': 'mixed' }, {}), {});
});

test('credential headers are recognised by name and by word', (t) => {
  for (const name of ['Authorization', 'cookie', 'Set-Cookie', 'proxy-authorization', 'X-Api-Key', 'x-auth-token', 'X-Client-Secret', 'x-password', 'sec-websocket-key']) {
    t.true(isCredentialHeader(name), name);
  }
  for (const name of ['x-request-id', 'content-type', 'x-datarobot-consumer-id', 'accept']) {
    t.false(isCredentialHeader(name), name);
  }
});

test('prepareHeaderCaptures lower-cases, de-duplicates and marks credentials once', (t) => {
  t.deepEqual(prepareHeaderCaptures(['X-Request-Id', 'x-request-id', 'Cookie']), [
    { header: 'x-request-id', attribute: 'http.request.header.x-request-id', redacted: false },
    { header: 'cookie', attribute: 'http.request.header.cookie', redacted: true },
  ]);
  t.deepEqual(prepareHeaderCaptures(undefined), []);
  t.throws(() => prepareHeaderCaptures('x-request-id' as never), {
    message: 'instrumentControllers: captureRequestHeaders must be an array of header names, got x-request-id',
  });
  t.throws(() => prepareHeaderCaptures(['']), { message: 'instrumentControllers: captureRequestHeaders has an invalid header name ""' });
});

test('captureRequestHeaders writes string[] values and [REDACTED] for credentials', (t) => {
  const attributes = {};
  captureRequestHeaders(
    { 'x-request-id': 'r1', 'set-cookie': ['a=1', 'b=2'], 'x-forwarded-for': ['1.1.1.1', '2.2.2.2'] },
    prepareHeaderCaptures(['x-request-id', 'set-cookie', 'x-forwarded-for', 'x-missing']),
    attributes,
  );
  t.deepEqual(attributes, {
    'http.request.header.x-request-id': ['r1'],
    'http.request.header.set-cookie': ['[REDACTED]'],
    'http.request.header.x-forwarded-for': ['1.1.1.1', '2.2.2.2'],
  });
});
