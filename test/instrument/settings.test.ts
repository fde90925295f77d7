import 'reflect-metadata';
import test from 'ava';
import { Get, JsonController } from 'routing-controllers';
import { instrumentControllers } from '../../src';
import { differingOption, resolveSettings } from '../../src/instrument/settings';
import { startServer } from '../helpers/server';
import { finishedSpans, registerTracing } from '../helpers/tracing';

const { exporter } = registerTracing();

test('differingOption: equal options agree, header names compare as prepared, functions by identity', (t) => {
  const hook = () => {};
  t.is(differingOption(resolveSettings({}), resolveSettings({ spanNamePrefix: 'drum', metrics: true })), undefined);
  t.is(differingOption(resolveSettings({ captureRequestHeaders: ['X-A', 'x-b'] }), resolveSettings({ captureRequestHeaders: ['x-a', 'X-B', 'x-a'] })), undefined);
  t.is(differingOption(resolveSettings({ requestHook: hook }), resolveSettings({ requestHook: hook })), undefined);
  t.is(differingOption(resolveSettings({ requestHook: hook }), resolveSettings({ requestHook: () => {} })), 'requestHook');
  t.is(differingOption(resolveSettings({}), resolveSettings({ spanNamePrefix: 'model' })), 'spanNamePrefix');
  t.is(differingOption(resolveSettings({}), resolveSettings({ trustProxy: true })), 'trustProxy');
  t.is(differingOption(resolveSettings({}), resolveSettings({ routePrefix: '' })), 'routePrefix');
});

test('the new options are validated like the others', (t) => {
  t.throws(() => resolveSettings({ trustProxy: 'yes' as never }), { message: 'instrumentControllers: trustProxy must be a boolean, got string yes' });
  t.throws(() => resolveSettings({ recordBodySizes: 1 as never }), { message: 'instrumentControllers: recordBodySizes must be a boolean, got number 1' });
  t.throws(() => resolveSettings({ internalSpan: null as never }), { message: 'instrumentControllers: internalSpan must be a boolean, got object null' });
  t.throws(() => resolveSettings({ metrics: 'off' as never }), { message: 'instrumentControllers: metrics must be a boolean, got string off' });
  t.throws(() => resolveSettings({ meterProvider: {} as never }), { message: 'instrumentControllers: meterProvider must be a MeterProvider, got [object Object]' });
  t.throws(() => resolveSettings({ responseHook: 'log' as never }), { message: 'instrumentControllers: responseHook must be a function, got string log' });
});

test.serial('instrumenting a controller again with other options throws naming them, and the first instrumentation stays', async (t) => {
  @JsonController()
  class TwiceController {
    @Get('/twice/')
    get() {
      return { ok: true };
    }
  }
  @JsonController()
  class NewController {
    @Get('/new/')
    get() {
      return { ok: true };
    }
  }
  const controllers = [TwiceController];
  t.is(instrumentControllers(controllers, { spanNamePrefix: 'first' }), controllers);
  t.notThrows(() => instrumentControllers([TwiceController, TwiceController], { spanNamePrefix: 'first' }));
  t.throws(() => instrumentControllers([NewController, TwiceController], { spanNamePrefix: 'second' }), {
    message:
      'instrumentControllers: TwiceController is already instrumented, with another spanNamePrefix; ' +
      'instrument each controller once, with one options object',
  });
  const server = await startServer({ controllers: [TwiceController, NewController] });
  try {
    for (const path of ['/twice/', '/new/']) await (await fetch(`${server.url}${path}`)).arrayBuffer();
    t.deepEqual((await finishedSpans(exporter, 1, 2000)).map((span) => span.name), ['first.GET /twice/'], 'NewController was not instrumented either');
  } finally {
    await server.close();
  }
});
