import 'reflect-metadata';
import test from 'ava';
import { Body, Get, getMetadataArgsStorage, JsonController, Param, Post } from 'routing-controllers';
import ts from 'typescript';
import * as drumOtel from '../src';
import { instrumentControllers, NoTrace, Traced } from '../src';
import { decisionFor } from '../src/decorators';

test('@Traced() stores its name and attributes; a string is the name', (t) => {
  class Decorated {
    @Traced('drum.transform')
    transform() {}

    @Traced({ name: 'drum.custom', attributes: { 'drum.kind': 'x', 'drum.rows': [1, 2] } })
    custom() {}
  }
  t.deepEqual(decisionFor(Decorated, 'transform'), { traced: true, settings: { name: 'drum.transform', attributes: {} } });
  t.deepEqual(decisionFor(Decorated, 'custom'), {
    traced: true,
    settings: { name: 'drum.custom', attributes: { 'drum.kind': 'x', 'drum.rows': [1, 2] } },
  });
});

test('a method decision beats the class decision; class attributes merge under the method\'s', (t) => {
  @Traced({ attributes: { 'drum.layer': 'class', 'drum.shared': 'class' } })
  class Mixed {
    @NoTrace()
    quiet() {}

    @Traced({ attributes: { 'drum.shared': 'method' } })
    loud() {}

    plain() {}
  }
  t.deepEqual(decisionFor(Mixed, 'quiet'), { traced: false });
  t.deepEqual(decisionFor(Mixed, 'loud'), {
    traced: true,
    settings: { name: undefined, attributes: { 'drum.layer': 'class', 'drum.shared': 'method' } },
  });
  t.deepEqual(decisionFor(Mixed, 'plain'), { traced: true, settings: { name: undefined, attributes: { 'drum.layer': 'class', 'drum.shared': 'class' } } });
});

test('an undecorated method of an undecorated class has no decision (traceUndecorated decides)', (t) => {
  class Plain {
    run() {}
  }
  t.is(decisionFor(Plain, 'run'), undefined);
});

test('a subclass decorator beats its base class decorator; base decorators reach inherited methods', (t) => {
  @NoTrace()
  class Base {
    @Traced('drum.base')
    named() {}

    other() {}
  }
  @Traced()
  class Child extends Base {
    @NoTrace()
    override named() {}
  }
  class Grandchild extends Base {}
  t.deepEqual(decisionFor(Child, 'named'), { traced: false });
  t.deepEqual(decisionFor(Child, 'other'), { traced: true, settings: { name: undefined, attributes: {} } });
  t.deepEqual(decisionFor(Grandchild, 'other'), { traced: false });
  t.deepEqual(decisionFor(Grandchild, 'named'), { traced: true, settings: { name: 'drum.base', attributes: {} } });
});

test('metadata keys are global strings, so another copy of the library reads them', (t) => {
  class Keys {
    @Traced('x')
    a() {}
  }
  t.deepEqual(Reflect.getMetadataKeys(Keys.prototype, 'a').filter((key) => String(key).startsWith('drum-otel:')), ['drum-otel:traced']);
});

test('decorating keeps the method itself, its design:paramtypes and other decorators\' metadata', (t) => {
  class Dto {}
  @JsonController()
  class Keeps {
    @Post('/keeps/:id')
    @Traced()
    keep(@Param('id') id: number, @Body() body: Dto) {
      return [id, body];
    }
  }
  const original = Object.getOwnPropertyDescriptor(Keeps.prototype, 'keep')!.value;
  t.deepEqual(Reflect.getMetadata('design:paramtypes', Keeps.prototype, 'keep'), [Number, Dto]);
  t.is(original.name, 'keep');
  t.deepEqual(getMetadataArgsStorage().params.filter((param) => param.object === Keeps.prototype).map((param) => param.type).sort(), ['body', 'param']);
  instrumentControllers([Keeps]);
  const instrumented = Keeps.prototype.keep;
  t.is(instrumented.name, 'keep');
  t.is(instrumented.length, 2);
  t.deepEqual(Reflect.getMetadata('design:paramtypes', Keeps.prototype, 'keep'), [Number, Dto]);
  const self = new Keeps();
  t.deepEqual(self.keep(3, { a: 1 }), [3, { a: 1 }]);
});

for (const [label, options, message] of [
  ['an empty name', '', '@Traced() on Bad.method: the span name must be a non-empty string, got ""'],
  ['a blank name', { name: '   ' }, '@Traced() on Bad.method: the span name must be a non-empty string, got "   "'],
  ['a non-string name', { name: 42 }, '@Traced() on Bad.method: the span name must be a non-empty string, got 42'],
  ['non-object attributes', { attributes: 'x' }, '@Traced() on Bad.method: attributes must be an object, got x'],
  ['an invalid attribute value', { attributes: { 'drum.bad': { nested: true } } }, '@Traced() on Bad.method: attribute "drum.bad" has an invalid value [object Object]'],
] as const) {
  test(`@Traced() with ${label} throws naming the class and method`, (t) => {
    t.throws(
      () => {
        class Bad {
          @Traced(options as never)
          method() {}
        }
        return Bad;
      },
      { message },
    );
  });
}

test('@Traced() on a static method, an accessor or a property throws naming it', (t) => {
  t.throws(
    () => {
      class Static {
        @Traced()
        static run() {}
      }
      return Static;
    },
    { message: '@Traced() cannot decorate static method Static.run: actions are instance methods' },
  );
  t.throws(
    () => {
      class Accessor {
        @NoTrace()
        get value() {
          return 1;
        }
      }
      return Accessor;
    },
    { message: '@NoTrace() can only decorate a class or a method; Accessor.value is not a method' },
  );
  t.throws(
    () => {
      class Property {
        @(Traced() as PropertyDecorator)
        field = 1;
      }
      return Property;
    },
    { message: '@Traced() can only decorate a class or a method; Property.field is not a method' },
  );
});

test('@Traced() and @NoTrace() on one method make instrumentControllers throw naming Class.method, changing nothing', (t) => {
  @JsonController()
  class Conflicted {
    @Get('/conflicted/')
    @Traced()
    @NoTrace()
    both() {}
  }
  const usesBefore = getMetadataArgsStorage().uses.length;
  t.throws(() => instrumentControllers([Conflicted]), { message: 'Conflicted.both has both @Traced() and @NoTrace(); keep one of them' });
  t.is(getMetadataArgsStorage().uses.length, usesBefore);
});

test('@Traced() and @NoTrace() on one class make instrumentControllers throw naming the class', (t) => {
  @JsonController()
  @Traced()
  @NoTrace()
  class ConflictedClass {
    @Get('/conflicted-class/')
    get() {}
  }
  t.throws(() => instrumentControllers([ConflictedClass]), { message: 'ConflictedClass has both @Traced() and @NoTrace(); keep one of them' });
});

test('a class without @Controller()/@JsonController() makes instrumentControllers throw naming it', (t) => {
  class NotAController {
    @Get('/x/')
    get() {}
  }
  t.throws(() => instrumentControllers([NotAController]), {
    message: 'instrumentControllers: NotAController is not a routing-controllers controller (decorate it with @Controller() or @JsonController())',
  });
});

test('a decorated method that is not an action makes instrumentControllers throw naming it', (t) => {
  @JsonController()
  class Helperful {
    @Get('/helperful/')
    get() {}

    @Traced()
    helper() {}
  }
  t.throws(() => instrumentControllers([Helperful]), {
    message: 'Helperful.helper has @Traced() or @NoTrace() but is not a routing-controllers action (add @Get(), @Post(), ... or remove the tracing decorator)',
  });
});

test('instrumentControllers rejects what is not an array of classes, and bad options, naming them', (t) => {
  @JsonController()
  class Fine {
    @Get('/fine/')
    get() {}
  }
  t.throws(() => instrumentControllers('Fine' as never), { message: 'instrumentControllers: controllers must be an array of controller classes, got Fine' });
  t.throws(() => instrumentControllers([Fine, 'Other' as never]), { message: 'instrumentControllers: controllers[1] is not a class, got Other' });
  t.throws(() => instrumentControllers([Fine], { routePrefix: 5 as never }), { message: 'instrumentControllers: routePrefix must be a string, got number 5' });
  t.throws(() => instrumentControllers([Fine], { traceUndecorated: 'no' as never }), {
    message: 'instrumentControllers: traceUndecorated must be a boolean, got string no',
  });
  t.throws(() => instrumentControllers([Fine], { requestHook: {} as never }), {
    message: 'instrumentControllers: requestHook must be a function, got object [object Object]',
  });
  t.throws(() => instrumentControllers([Fine], { tracerProvider: {} as never }), {
    message: 'instrumentControllers: tracerProvider must be a TracerProvider, got [object Object]',
  });
  t.throws(() => instrumentControllers([Fine], { captureRequestHeaders: ['ok', 'bad header'] }), {
    message: 'instrumentControllers: captureRequestHeaders has an invalid header name "bad header"',
  });
  t.throws(() => instrumentControllers([Fine], null as never), { message: 'instrumentControllers: options must be an object, got null' });
});

/** Compiles `source` as TypeScript does without `experimentalDecorators` (standard decorators) and runs it. */
function runWithStandardDecorators(source: string): unknown {
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, experimentalDecorators: false },
  });
  const load = (name: string): unknown => {
    if (name !== 'drum-otel') throw new Error(`the compiled example imports ${name}`);
    return drumOtel;
  };
  return new Function('require', 'exports', outputText)(load, {});
}

test('@Traced() and @NoTrace() compiled as standard (TC39) decorators throw naming experimentalDecorators', (t) => {
  t.throws(
    () => runWithStandardDecorators(`
      import { Traced } from 'drum-otel';
      export class PredictionController {
        @Traced('drum.invocations')
        predict() { return 1; }
      }`),
    {
      message:
        '@Traced() on method predict was applied as a standard (TC39) decorator: drum-otel and routing-controllers ' +
        'need TypeScript\'s legacy decorators. Set "experimentalDecorators": true and "emitDecoratorMetadata": true in tsconfig.json',
    },
  );
  t.throws(
    () => runWithStandardDecorators(`
      import { NoTrace } from 'drum-otel';
      @NoTrace()
      export class HealthController {}`),
    { message: /^@NoTrace\(\) on class HealthController was applied as a standard \(TC39\) decorator/ },
  );
});
