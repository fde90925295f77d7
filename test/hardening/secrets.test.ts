import 'reflect-metadata';
import test from 'ava';
import { Body, Get, JsonController, Post } from 'routing-controllers';
import { instrumentControllers, type HookInfo, type InstrumentOptions, type RequestHeaders } from '../../src';
import type { RunningServer } from '../helpers/server';
import { captureDiag, finishedSpans, registerTracing } from '../helpers/tracing';
import { exportedText, RawClient, rawRequest, startServerWith } from './support';

const { exporter } = registerTracing();
const diagRecords = captureDiag();

const SECRETS = {
  authorization: 'Bearer sk-live-AUTHSECRET',
  cookie: 'session=COOKIESECRET; theme=dark',
  'proxy-authorization': 'Basic PROXYSECRET',
  'x-api-key': 'APIKEYSECRET',
  'x-auth-token': 'TOKENHEADERSECRET',
  'x-client-secret': 'CLIENTSECRETSECRET',
  'x-password': 'PASSWORDSECRET',
};
const QUERY = '?token=QUERYTOKENSECRET&api_key=QUERYKEYSECRET&access_token=QUERYACCESSSECRET&x=1';
const USERINFO = 'USERINFOSECRET';
/** Every value that must never reach an exported span: the secret part of each. */
const NEEDLES = [
  'AUTHSECRET',
  'COOKIESECRET',
  'PROXYSECRET',
  'APIKEYSECRET',
  'TOKENHEADERSECRET',
  'CLIENTSECRETSECRET',
  'PASSWORDSECRET',
  'QUERYTOKENSECRET',
  'QUERYKEYSECRET',
  'QUERYACCESSSECRET',
  USERINFO,
  'BODYSECRET',
];

/** Hooks that read the credentials for a legitimate purpose, or fail with them in the error message. */
const readingHeaderAttributes = (headers: RequestHeaders) => ({
  'auth.scheme': String(headers.authorization).split(' ')[0],
  'auth.has_cookie': headers.cookie !== undefined,
});
const throwingHeaderAttributes = (headers: RequestHeaders) => JSON.parse(String(headers.authorization));
const readingRequestHook = ({ span, request }: HookInfo) => {
  span.setAttribute('auth.present', request.headers.authorization !== undefined);
  if (request.headers['x-api-key'] !== undefined) throw new Error(`rejected key ${request.headers['x-api-key']}`);
};
const readingResponseHook = ({ span, response }: HookInfo) => {
  span.setAttribute('response.has_cookie_header', response.req.headers.cookie !== undefined);
  throw new Error(`saw cookie ${response.req.headers.cookie}`);
};

const combinations: [label: string, options: InstrumentOptions][] = [
  ['default options', {}],
  ['captureRequestHeaders listing every credential header (any case)', { captureRequestHeaders: [...Object.keys(SECRETS), 'AUTHORIZATION', 'Set-Cookie', 'x-request-id'] }],
  ['headerAttributes reading the credentials', { headerAttributes: readingHeaderAttributes }],
  ['headerAttributes throwing with a credential in its message', { headerAttributes: throwingHeaderAttributes }],
  ['requestHook and responseHook reading the credentials and throwing with them', { requestHook: readingRequestHook, responseHook: readingResponseHook }],
  [
    'all of them together',
    {
      captureRequestHeaders: [...Object.keys(SECRETS), 'x-request-id'],
      headerAttributes: readingHeaderAttributes,
      requestHook: readingRequestHook,
      responseHook: readingResponseHook,
    },
  ],
];

function secretController(prefix: string): Function {
  @JsonController(`/${prefix}`)
  class SecretController {
    @Get('/x/:id')
    get() {
      return { ok: true };
    }

    @Post('/x/:id')
    post(@Body() body: { password?: string }) {
      return { received: typeof body.password };
    }
  }
  return SecretController;
}

let server: RunningServer;
const prefixes = combinations.map((_, index) => `c${index}`);

test.before(async () => {
  const controllers = prefixes.map(secretController);
  combinations.forEach(([, options], index) => instrumentControllers([controllers[index]], options));
  server = await startServerWith({ controllers });
});

test.after.always(async () => {
  await server?.close();
});

test.beforeEach(() => {
  exporter.reset();
  diagRecords.length = 0;
});

function assertNoSecrets(t: { false(value: boolean, message?: string): void }, text: string): void {
  for (const needle of NEEDLES) t.false(text.includes(needle), `${needle} leaked into ${text.slice(0, 2000)}`);
}

combinations.forEach(([label, options], index) => {
  const prefix = prefixes[index];

  test.serial(`${label}: credential headers and query tokens never reach a span`, async (t) => {
    const response = await fetch(`${server.url}/${prefix}/x/7${QUERY}`, { headers: { ...SECRETS, 'x-request-id': 'r-1' } });
    t.is(response.status, 200);
    t.deepEqual(await response.json(), { ok: true });
    const spans = await finishedSpans(exporter, 1);
    t.is(spans.length, 1);
    t.is(spans[0].name, `drum.GET /${prefix}/x/:id`);
    t.is(spans[0].attributes['url.path'], `/${prefix}/x/7`);
    t.is(spans[0].attributes['http.response.status_code'], 200);
    if (options.captureRequestHeaders !== undefined) {
      for (const name of Object.keys(SECRETS)) t.deepEqual(spans[0].attributes[`http.request.header.${name}`], ['[REDACTED]'], name);
      t.deepEqual(spans[0].attributes['http.request.header.x-request-id'], ['r-1']);
    }
    if (options.headerAttributes === readingHeaderAttributes) t.is(spans[0].attributes['auth.scheme'], 'Bearer');
    assertNoSecrets(t, exportedText(spans));
  });

  test.serial(`${label}: a POST whose body and query carry secrets, over a raw socket with repeated credential headers`, async (t) => {
    const client = await RawClient.open(server.url);
    try {
      const body = JSON.stringify({ password: 'BODYSECRET' });
      const head = rawRequest('POST', `/${prefix}/x/8${QUERY}`, { 'Content-Type': 'application/json', Connection: 'close' }, body);
      const [line, ...rest] = head.split('\r\n');
      const repeated = Object.entries(SECRETS).flatMap(([name, value]) => [`${name}: ${value}`, `${name.toUpperCase()}: ${value}-again`]);
      await client.write([line, ...repeated, ...rest].join('\r\n'));
      const [response] = await client.responses(1);
      t.is(response?.status, 200);
      t.is(response?.body, '{"received":"string"}');
    } finally {
      client.destroy();
    }
    const spans = await finishedSpans(exporter, 1);
    t.is(spans.length, 1);
    t.is(spans[0].attributes['url.path'], `/${prefix}/x/8`);
    assertNoSecrets(t, exportedText(spans));
  });

  test.serial(`${label}: an absolute-form request target with userinfo and query: url.path is only the path`, async (t) => {
    const client = await RawClient.open(server.url);
    const { host } = new URL(server.url);
    try {
      await client.write(rawRequest('GET', `http://admin:${USERINFO}@${host}/${prefix}/x/9${QUERY}`, { ...SECRETS, Connection: 'close' }));
      const [response] = await client.responses(1);
      t.is(response?.status, 200);
    } finally {
      client.destroy();
    }
    const spans = await finishedSpans(exporter, 1);
    t.is(spans.length, 1);
    t.is(spans[0].name, `drum.GET /${prefix}/x/:id`);
    t.is(spans[0].attributes['url.path'], `/${prefix}/x/9`);
    assertNoSecrets(t, exportedText(spans));
  });
});

test.serial('what the hooks threw went to diag only (where operators see it), never onto the span', async (t) => {
  await fetch(`${server.url}/c5/x/1`, { headers: SECRETS }).then((response) => response.arrayBuffer());
  const spans = await finishedSpans(exporter, 1);
  t.deepEqual(spans[0].events, []);
  t.deepEqual(diagRecords.map((record) => record.message), [
    'drum-otel: requestHook of SecretController.get threw; the request goes on',
    'drum-otel: responseHook of SecretController.get threw; the request goes on',
  ]);
});

