import 'reflect-metadata';
import test from 'ava';
import fc from 'fast-check';
import { Get, JsonController } from 'routing-controllers';
import { extractRequestHeaders, instrumentControllers, isCredentialHeader, REDACTED } from '../../src';
import { captureRequestHeaders, prepareHeaderCaptures } from '../../src/headers';
import type { RequestHeaders } from '../../src/types';
import type { RunningServer } from '../helpers/server';
import { captureDiag, finishedSpans, registerTracing } from '../helpers/tracing';
import { DRIVERS, RawClient } from './support';

// The SDK's span limits, read from the environment when the provider is built (each test file is its own process).
const VALUE_LIMIT = 256;
const COUNT_LIMIT = 32;
const { exporter } = registerTracing(undefined, { attributeValueLengthLimit: VALUE_LIMIT, attributeCountLimit: COUNT_LIMIT });
const diagRecords = captureDiag();

const ID = 'gen_ai.request.consumer_id';
const TYPE = 'gen_ai.request.consumer_type';
const IDENTITY = ['x-datarobot-consumer-id', 'x-datarobot-consumer-type'] as const;

// ----------------------------------------------------------------------------------------------------------
// Properties of the pure functions

/** A header name in random case: the identity headers, credentials, prototype names, or any token. */
const headerName = fc.oneof(
  fc.constantFrom(...IDENTITY, 'authorization', 'cookie', 'x-api-key', 'x-auth-token', 'constructor', '__proto__', 'toString', 'accept'),
  fc.stringMatching(/^[a-z0-9!#$%&'*+.^_`|~-]{1,20}$/),
).chain((name) => fc.array(fc.boolean(), { minLength: name.length, maxLength: name.length }).map((upper) =>
  [...name].map((char, index) => (upper[index] ? char.toUpperCase() : char)).join(''),
));
const headerValue = fc.oneof(
  fc.string(),
  fc.array(fc.oneof(fc.string(), fc.constant('')), { maxLength: 4 }),
  fc.integer(),
  fc.constant(undefined),
);
/** Header records as a caller may pass them; built with defineProperty so `__proto__` is an own name. */
const headerRecord = fc.array(fc.tuple(headerName, headerValue), { maxLength: 12 }).map((entries) => {
  const record: Record<string, unknown> = {};
  for (const [name, value] of entries) Object.defineProperty(record, name, { value, enumerable: true, configurable: true, writable: true });
  return record as RequestHeaders;
});

/** What the README promises extractRequestHeaders returns, written independently. */
function expectedIdentity(headers: Record<string, unknown>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [header, attribute] of [[IDENTITY[0], ID], [IDENTITY[1], TYPE]] as const) {
    const own = Object.keys(headers);
    const name = own.includes(header) && headers[header] !== undefined ? header : own.find((key) => key.toLowerCase() === header);
    const value = name === undefined ? undefined : headers[name];
    const text =
      typeof value === 'number'
        ? String(value)
        : Array.isArray(value)
          ? value.filter((item) => typeof item === 'string' && item !== '').join(', ')
          : typeof value === 'string'
            ? value
            : '';
    if (text !== '') result[attribute] = text;
  }
  return result;
}

test('property: extractRequestHeaders never throws and returns only the documented keys with non-empty strings', (t) => {
  fc.assert(
    fc.property(fc.oneof(headerRecord, fc.anything() as fc.Arbitrary<RequestHeaders>), (headers) => {
      const attributes = extractRequestHeaders(headers);
      return Object.entries(attributes).every(([key, value]) => (key === ID || key === TYPE) && typeof value === 'string' && value !== '');
    }),
    { numRuns: 2000, seed: 11 },
  );
  t.pass();
});

test('property: extractRequestHeaders returns exactly the identity headers, found in any case, and nothing else', (t) => {
  fc.assert(
    fc.property(headerRecord, (headers) => {
      const attributes = extractRequestHeaders(headers);
      const expected = expectedIdentity(headers as Record<string, unknown>);
      return JSON.stringify(Object.entries(attributes).sort()) === JSON.stringify(Object.entries(expected).sort());
    }),
    { numRuns: 2000, seed: 12 },
  );
  t.pass();
});

/** Headers as Node builds them: a null-prototype record, lower-case names, string (set-cookie: string[]) values. */
const nodeHeaders = fc
  .array(fc.tuple(headerName.map((name) => name.toLowerCase()), fc.oneof(fc.string({ minLength: 1 }), fc.array(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 3 }))), { maxLength: 12 })
  .map((entries) => {
    const headers: Record<string, string | string[]> = Object.create(null);
    entries.forEach(([name, value], index) => {
      // Values that can be told apart from every name and from [REDACTED].
      headers[name] = Array.isArray(value) ? value.map((item) => `V${index}~${item}`) : `V${index}~${value}`;
    });
    return headers;
  });

test('property: captureRequestHeaders records only listed headers that were sent, redacted ones never with their value', (t) => {
  fc.assert(
    fc.property(nodeHeaders, fc.array(headerName, { maxLength: 8 }), (headers, names) => {
      const captures = prepareHeaderCaptures(names);
      const attributes: Record<string, unknown> = {};
      captureRequestHeaders(headers, captures, attributes as never);
      const listed = new Set(names.map((name) => name.toLowerCase()));
      const expectedKeys = [...listed].filter((name) => headers[name] !== undefined).map((name) => `http.request.header.${name}`);
      if (JSON.stringify(Object.keys(attributes).sort()) !== JSON.stringify(expectedKeys.sort())) return false;
      for (const name of listed) {
        const value = headers[name];
        if (value === undefined) continue;
        const recorded = attributes[`http.request.header.${name}`];
        if (isCredentialHeader(name)) {
          if (JSON.stringify(recorded) !== JSON.stringify([REDACTED])) return false;
        } else if (JSON.stringify(recorded) !== JSON.stringify(Array.isArray(value) ? value : [value])) {
          return false;
        }
      }
      const text = JSON.stringify(attributes);
      return Object.entries(headers).every(([name, value]) => !isCredentialHeader(name) || [value].flat().every((item) => !text.includes(item)));
    }),
    { numRuns: 2000, seed: 13 },
  );
  t.pass();
});

test('property: prepareHeaderCaptures accepts every token name and rejects anything else with its documented message', (t) => {
  fc.assert(
    fc.property(fc.array(fc.oneof(headerName, fc.string(), fc.anything()), { maxLength: 6 }), (names) => {
      const valid = names.every((name) => typeof name === 'string' && /^[!#$%&'*+.^_`|~0-9a-z-]+$/i.test(name));
      try {
        const captures = prepareHeaderCaptures(names as string[]);
        return valid && captures.every((capture) => capture.header === capture.header.toLowerCase() && capture.attribute === `http.request.header.${capture.header}`);
      } catch (error) {
        return !valid && error instanceof Error && /^instrumentControllers: captureRequestHeaders has an invalid header name /.test(error.message);
      }
    }),
    { numRuns: 2000, seed: 14 },
  );
  t.pass();
});

test('property: a name with token, secret, password or key in it, in any case, is a credential', (t) => {
  fc.assert(
    fc.property(fc.string(), fc.constantFrom('token', 'secret', 'password', 'key'), fc.string(), fc.boolean(), (before, word, after, upper) =>
      isCredentialHeader(`${before}${upper ? word.toUpperCase() : word}${after}`),
    ),
    { numRuns: 500, seed: 15 },
  );
  t.pass();
});

// ----------------------------------------------------------------------------------------------------------
// Hostile headers over the wire

@JsonController()
class PlainController {
  @Get('/h/plain/')
  get() {
    return { ok: true };
  }
}

const MANY = Array.from({ length: 150 }, (_, index) => `x-h-${index}`);

@JsonController()
class CaptureController {
  @Get('/h/capture/')
  get() {
    return { ok: true };
  }
}

const servers = new Map<string, RunningServer>();

test.before(async () => {
  instrumentControllers([PlainController]);
  instrumentControllers([CaptureController], { captureRequestHeaders: ['X-Request-ID', 'x-forwarded-for', 'Authorization', ...MANY.slice(0, 100)] });
  for (const driver of DRIVERS) {
    servers.set(driver.name, await driver.start({ controllers: [PlainController, CaptureController] }, { maxHeaderSize: 1024 * 1024 }));
  }
});

test.after.always(async () => {
  for (const server of servers.values()) await server.close();
});

test.beforeEach(() => {
  exporter.reset();
  diagRecords.length = 0;
});

/** One GET with these raw header lines; the bytes of `lines` are sent as they are (UTF-8). */
async function getRaw(server: RunningServer, path: string, lines: string[]): Promise<{ status: number; body: string }> {
  const client = await RawClient.open(server.url);
  try {
    await client.write(Buffer.from(`${[`GET ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', ...lines].join('\r\n')}\r\n\r\n`, 'utf8'));
    const [response] = await client.responses(1);
    return { status: response?.status ?? 0, body: response?.body ?? '' };
  } finally {
    client.destroy();
  }
}

for (const driver of DRIVERS) {
  const server = () => servers.get(driver.name)!;

  test.serial(`${driver.name}: 150 headers besides the identity ones: served, and the span has exactly its documented attributes`, async (t) => {
    const lines = [...MANY.map((name) => `${name}: value-${name}`), 'X-DataRobot-Consumer-Id: user-1', 'x-datarobot-consumer-type: service'];
    t.deepEqual(await getRaw(server(), '/h/plain/', lines), { status: 200, body: '{"ok":true}' });
    const spans = await finishedSpans(exporter, 1);
    t.is(spans.length, 1);
    t.deepEqual(spans[0].attributes, {
      'http.request.method': 'GET',
      'http.route': driver.route('/h/plain/'),
      'url.path': '/h/plain/',
      'url.scheme': 'http',
      'server.address': '127.0.0.1',
      'server.port': 80,
      'client.address': '127.0.0.1',
      'network.protocol.version': '1.1',
      [ID]: 'user-1',
      [TYPE]: 'service',
      'http.response.status_code': 200,
      'http.status_code': 200,
    });
  });

  test.serial(`${driver.name}: a 64 KB identity header: served, and the attribute is cut at the span limit of value length`, async (t) => {
    const big = 'u'.repeat(64 * 1024);
    t.deepEqual(await getRaw(server(), '/h/plain/', [`x-datarobot-consumer-id: ${big}`, `x-datarobot-consumer-type: ${'t'.repeat(300)}`]), {
      status: 200,
      body: '{"ok":true}',
    });
    const [span] = await finishedSpans(exporter, 1);
    t.is(span.attributes[ID], 'u'.repeat(VALUE_LIMIT));
    t.is(span.attributes[TYPE], 't'.repeat(VALUE_LIMIT));
  });

  test.serial(`${driver.name}: a 64 KB captured header: each recorded string is cut at the value length limit`, async (t) => {
    t.deepEqual(await getRaw(server(), '/h/capture/', [`x-request-id: ${'r'.repeat(64 * 1024)}`]), { status: 200, body: '{"ok":true}' });
    const [span] = await finishedSpans(exporter, 1);
    t.deepEqual(span.attributes['http.request.header.x-request-id'], ['r'.repeat(VALUE_LIMIT)]);
  });

  test.serial(`${driver.name}: 103 captured headers: the span keeps as many attributes as the span limit allows and counts the dropped ones`, async (t) => {
    const lines = [...MANY.map((name) => `${name}: v`), 'x-request-id: r1', 'x-forwarded-for: 10.0.0.1', 'authorization: Bearer sk-64kb-secret'];
    t.deepEqual(await getRaw(server(), '/h/capture/', lines), { status: 200, body: '{"ok":true}' });
    const [span] = await finishedSpans(exporter, 1);
    // 8 request attributes (no query, no user agent) + 103 captured at start, then 2 status attributes at the end.
    t.is(Object.keys(span.attributes).length, COUNT_LIMIT);
    t.is(span.droppedAttributesCount, 8 + 103 + 2 - COUNT_LIMIT);
    t.is(span.attributes['http.request.method'], 'GET');
    t.is(span.attributes['http.route'], driver.route('/h/capture/'));
    t.is(span.attributes['url.path'], '/h/capture/');
    t.false(JSON.stringify(span.attributes).includes('sk-64kb-secret'));
  });

  test.serial(`${driver.name}: non-ASCII bytes in header values: served, recorded as Node decodes them (latin1), no exception`, async (t) => {
    const value = 'Zürich-用户-🙂';
    t.deepEqual(await getRaw(server(), '/h/capture/', [`x-datarobot-consumer-id: ${value}`, `x-request-id: ${value}`]), { status: 200, body: '{"ok":true}' });
    const [span] = await finishedSpans(exporter, 1);
    const asNodeReadsIt = Buffer.from(value, 'utf8').toString('latin1');
    t.is(span.attributes[ID], asNodeReadsIt);
    t.deepEqual(span.attributes['http.request.header.x-request-id'], [asNodeReadsIt]);
    t.deepEqual(diagRecords, []);
  });

  test.serial(`${driver.name}: repeated headers: identity values joined as Node joins them, captured ones as one string`, async (t) => {
    const lines = ['x-datarobot-consumer-id: a', 'X-DataRobot-Consumer-Id: b', 'x-forwarded-for: 10.0.0.1', 'X-Forwarded-For: 10.0.0.2'];
    t.deepEqual(await getRaw(server(), '/h/capture/', lines), { status: 200, body: '{"ok":true}' });
    const [span] = await finishedSpans(exporter, 1);
    t.is(span.attributes[ID], 'a, b');
    t.deepEqual(span.attributes['http.request.header.x-forwarded-for'], ['10.0.0.1, 10.0.0.2']);
  });

  test.serial(`${driver.name}: header names in any case on the wire match the identity headers and the captured names`, async (t) => {
    const lines = ['X-DATAROBOT-CONSUMER-ID: upper', 'x-DataRobot-consumer-TYPE: mixed', 'x-REQUEST-id: r-any'];
    await getRaw(server(), '/h/capture/', lines);
    const [span] = await finishedSpans(exporter, 1);
    t.is(span.attributes[ID], 'upper');
    t.is(span.attributes[TYPE], 'mixed');
    t.deepEqual(span.attributes['http.request.header.x-request-id'], ['r-any']);
  });

  test.serial(`${driver.name}: empty identity headers give no attribute`, async (t) => {
    await getRaw(server(), '/h/plain/', ['x-datarobot-consumer-id:', 'x-datarobot-consumer-type:   ']);
    const [span] = await finishedSpans(exporter, 1);
    t.false(ID in span.attributes);
    t.false(TYPE in span.attributes);
  });
}
