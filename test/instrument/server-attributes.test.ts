import test from 'ava';
import {
  clientAddress,
  contentLength,
  firstListValue,
  parseHost,
  protocolVersion,
  recordedServerAttributes,
  serverAttributes,
  urlScheme,
  type ServerRequest,
} from '../../src/instrument/server-attributes';

function request(headers: ServerRequest['headers'] = {}, overrides: Partial<ServerRequest> = {}): ServerRequest {
  return {
    headers,
    httpVersion: '1.1',
    socket: { remoteAddress: '10.0.0.9' },
    ...overrides,
  };
}

const plain = { trustProxy: false, recordBodySizes: false };

test('serverAttributes: every stable attribute a span starts with, as the conventions name them', (t) => {
  const headers = { host: 'models.example.com:8443', 'user-agent': 'curl/8.5.0', 'content-length': '12' };
  t.deepEqual(serverAttributes(request(headers), 'POST', '/predict/', '/predict/?sig=abc&x=1', 'http', plain), {
    'http.request.method': 'POST',
    'http.route': '/predict/',
    'url.path': '/predict/',
    'url.query': 'sig=REDACTED&x=1',
    'url.scheme': 'http',
    'server.address': 'models.example.com',
    'server.port': 8443,
    'client.address': '10.0.0.9',
    'user_agent.original': 'curl/8.5.0',
  });
});

test('recordedServerAttributes: the protocol version, which no sampler is given', (t) => {
  t.deepEqual(recordedServerAttributes(request()), { 'network.protocol.version': '1.1' });
  t.deepEqual(recordedServerAttributes(request({}, { httpVersion: '2.0' })), { 'network.protocol.version': '2' });
});

test('serverAttributes: no query, Host or user agent gives no such attributes; body size only when asked for', (t) => {
  const bare = request({ 'content-length': '12' }, { httpVersion: '1.0', socket: null });
  t.deepEqual(serverAttributes(bare, 'GET', '/r', '/r', 'http', plain), {
    'http.request.method': 'GET',
    'http.route': '/r',
    'url.path': '/r',
    'url.scheme': 'http',
  });
  const sized = serverAttributes(bare, 'GET', '/r', '/r', 'http', { trustProxy: false, recordBodySizes: true });
  t.is(sized['http.request.body.size'], 12);
});

test('serverAttributes: the port defaults to the scheme\'s when Host has none (http and https)', (t) => {
  t.is(serverAttributes(request({ host: 'h' }), 'GET', '/', '/', 'http', plain)['server.port'], 80);
  t.is(serverAttributes(request({ host: 'h' }), 'GET', '/', '/', 'https', plain)['server.port'], 443);
  t.is(serverAttributes(request({ host: 'h' }), 'GET', '/', '/', 'ws', plain)['server.port'], undefined);
});

test('urlScheme: https on TLS; X-Forwarded-Proto only from a trusted proxy, and only a valid scheme', (t) => {
  t.is(urlScheme(request(), false), 'http');
  t.is(urlScheme(request({}, { socket: { encrypted: true } }), false), 'https');
  t.is(urlScheme(request({ 'x-forwarded-proto': 'https' }), false), 'http');
  t.is(urlScheme(request({ 'x-forwarded-proto': 'HTTPS, http' }), true), 'https');
  t.is(urlScheme(request({ 'x-forwarded-proto': ['https', 'http'] }), true), 'https');
  t.is(urlScheme(request({ 'x-forwarded-proto': 'not a scheme' }), true), 'http');
  t.is(urlScheme(request({ 'x-forwarded-proto': '' }, { socket: { encrypted: true } }), true), 'https');
});

test('clientAddress: the socket peer; the first X-Forwarded-For entry only from a trusted proxy', (t) => {
  const forwarded = request({ 'x-forwarded-for': ' 203.0.113.7 , 10.0.0.1' });
  t.is(clientAddress(forwarded, false), '10.0.0.9');
  t.is(clientAddress(forwarded, true), '203.0.113.7');
  t.is(clientAddress(request({ 'x-forwarded-for': ' , ' }), true), '10.0.0.9');
  t.is(clientAddress(request({}, { socket: null }), false), undefined);
});

test('protocolVersion: 1.x as Node reports it, HTTP/2 as the conventions spell it', (t) => {
  t.is(protocolVersion(request()), '1.1');
  t.is(protocolVersion(request({}, { httpVersion: '1.0' })), '1.0');
  t.is(protocolVersion(request({}, { httpVersion: '2.0' })), '2');
});

test('parseHost: names, IPv4, bracketed IPv6, with or without a valid port', (t) => {
  t.deepEqual(parseHost('example.com'), { address: 'example.com', port: undefined });
  t.deepEqual(parseHost('example.com:8080'), { address: 'example.com', port: 8080 });
  t.deepEqual(parseHost('127.0.0.1:80'), { address: '127.0.0.1', port: 80 });
  t.deepEqual(parseHost('[::1]:8080'), { address: '::1', port: 8080 });
  t.deepEqual(parseHost('[::1]'), { address: '::1', port: undefined });
  t.deepEqual(parseHost('::1'), { address: '::1', port: undefined });
  t.deepEqual(parseHost('h:99999'), { address: 'h', port: undefined });
  t.deepEqual(parseHost('h:8a'), { address: 'h', port: undefined });
  t.deepEqual(parseHost('h:123456'), { address: 'h', port: undefined });
  t.deepEqual(parseHost('h:065535'), { address: 'h', port: undefined });
  t.deepEqual(parseHost('h:0'), { address: 'h', port: 0 });
  t.deepEqual(parseHost('h:'), { address: 'h', port: undefined });
  t.is(parseHost(''), undefined);
  t.is(parseHost(':80'), undefined);
});

test('firstListValue and contentLength', (t) => {
  t.is(firstListValue('a, b'), 'a');
  t.is(firstListValue(['a,b', 'c']), 'a');
  t.is(firstListValue(undefined), undefined);
  t.is(firstListValue(''), undefined);
  t.is(contentLength('42'), 42);
  t.is(contentLength(42), 42);
  t.is(contentLength('4x'), undefined);
  t.is(contentLength('-1'), undefined);
  t.is(contentLength(['1', '2']), undefined);
  t.is(contentLength(undefined), undefined);
});
