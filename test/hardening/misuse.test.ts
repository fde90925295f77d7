import 'reflect-metadata';
import test from 'ava';
import { Get, JsonController } from 'routing-controllers';
import { instrumentControllers, NoTrace, Traced } from '../../src';

// The misuse cases test/decorators.test.ts and test/bootstrap.test.ts already cover (static @Traced, @NoTrace on a
// getter, @Traced on a property, conflicting decorators on a method and on a class, a class without
// @Controller(), a decorated non-action, non-array and non-class arguments, bad options, the late call) are not
// repeated here; test/README.md lists them. These are the ones whose message could still go wrong.

@JsonController()
class Fine {
  @Get('/misuse-fine/')
  get() {}
}

const nullPrototype = () => Object.create(null) as never;

test('a null-prototype object (no toString) among the controllers gets the documented message, not a TypeError', (t) => {
  t.throws(() => instrumentControllers([Fine, nullPrototype()]), {
    instanceOf: Error,
    message: 'instrumentControllers: controllers[1] is not a class, got [object Object]',
  });
});

test('a null-prototype object as the controllers gets the documented message', (t) => {
  t.throws(() => instrumentControllers(nullPrototype()), {
    message: 'instrumentControllers: controllers must be an array of controller classes, got [object Object]',
  });
});

test('null-prototype option values get the documented messages (a null-prototype options object itself is fine)', (t) => {
  t.notThrows(() => instrumentControllers([], nullPrototype()));
  t.throws(() => instrumentControllers([Fine], { tracerProvider: nullPrototype() }), {
    message: 'instrumentControllers: tracerProvider must be a TracerProvider, got [object Object]',
  });
  t.throws(() => instrumentControllers([Fine], { captureRequestHeaders: nullPrototype() }), {
    message: 'instrumentControllers: captureRequestHeaders must be an array of header names, got [object Object]',
  });
  t.throws(() => instrumentControllers([Fine], { spanNamePrefix: nullPrototype() }), {
    message: 'instrumentControllers: spanNamePrefix must be a string, got object [object Object]',
  });
});

test('a symbol, an anonymous class and an arrow function among the controllers are named by their index', (t) => {
  t.throws(() => instrumentControllers([Symbol('controller') as never]), { message: 'instrumentControllers: controllers[0] is not a class, got Symbol(controller)' });
  const suffix = 'is not a routing-controllers controller (decorate it with @Controller() or @JsonController())';
  t.throws(() => instrumentControllers([Fine, class {}]), { message: `instrumentControllers: controllers[1] ${suffix}` });
  t.throws(() => instrumentControllers([(() => () => {})()]), { message: `instrumentControllers: controllers[0] ${suffix}` });
});

test('@Traced() with a null-prototype attribute value names the attribute instead of throwing a TypeError', (t) => {
  t.throws(
    () => {
      class Odd {
        @Traced({ attributes: { 'drum.odd': nullPrototype() } })
        run() {}
      }
      return Odd;
    },
    { instanceOf: Error, message: '@Traced() on Odd.run: attribute "drum.odd" has an invalid value [object Object]' },
  );
});

test('@NoTrace() on a static method and @Traced() on a setter throw naming them', (t) => {
  t.throws(
    () => {
      class StaticQuiet {
        @NoTrace()
        static run() {}
      }
      return StaticQuiet;
    },
    { message: '@NoTrace() cannot decorate static method StaticQuiet.run: actions are instance methods' },
  );
  t.throws(
    () => {
      class Setter {
        @Traced()
        set value(_: number) {}
      }
      return Setter;
    },
    { message: '@Traced() can only decorate a class or a method; Setter.value is not a method' },
  );
});

test('a failed instrumentControllers call changes nothing: the good controller before the bad one is still uninstrumented', (t) => {
  @JsonController()
  class Before {
    @Get('/misuse-before/')
    get() {}
  }
  t.throws(() => instrumentControllers([Before, nullPrototype()]));
  t.is(Object.getOwnPropertySymbols(Before).length, 0);
});
