import test from 'ava';
import { EnvironmentReader, type Environment } from '../../src/setup/environment';

// The specification's rules for one variable: blank is unset, a bad value is one warning and the default.

/** What `read` returns from a reader of `env`, and the warnings it noted. */
function reading<T>(env: Environment, read: (reader: EnvironmentReader) => T): { value: T; warnings: string[] } {
  const reader = new EnvironmentReader(env);
  const value = read(reader);
  return { value, warnings: reader.warnings };
}

test('value: trimmed; unset, empty and blank are all unset', (t) => {
  t.is(new EnvironmentReader({ A: '  x y ' }).value('A'), 'x y');
  for (const env of [{}, { A: '' }, { A: ' \t ' }]) t.is(new EnvironmentReader(env).value('A'), undefined);
});

test('boolean: true in any case; unset, empty and false are false; anything else is false with one warning', (t) => {
  for (const value of ['true', 'TRUE', ' True ']) t.deepEqual(reading({ B: value }, (r) => r.boolean('B')), { value: true, warnings: [] });
  for (const env of [{}, { B: '' }, { B: 'false' }, { B: 'FALSE' }]) {
    t.deepEqual(reading(env, (r) => r.boolean('B')), { value: false, warnings: [] });
  }
  for (const value of ['yes', '1', 'on']) {
    t.deepEqual(reading({ B: value }, (r) => r.boolean('B')), {
      value: false,
      warnings: [`setupOtel: B=${JSON.stringify(value)} is invalid; expected true or false; using false`],
    });
  }
});

test('runtimeParameterBoolean: the payload of {"type":"boolean","payload":...}; malformed is ignored with a warning', (t) => {
  const read = (value: string | undefined) => reading({ P: value }, (r) => r.runtimeParameterBoolean('P'));
  t.deepEqual(read('{"type":"boolean","payload":true}'), { value: true, warnings: [] });
  t.deepEqual(read(' {"type": "boolean", "payload": false} '), { value: false, warnings: [] });
  t.deepEqual(read(undefined), { value: undefined, warnings: [] });
  t.deepEqual(read(''), { value: undefined, warnings: [] });
  for (const malformed of ['true', '{"type":"boolean","payload":"true"}', '{"type":"string","payload":true}', '{"type":', 'null', '[true]']) {
    t.deepEqual(read(malformed), {
      value: undefined,
      warnings: [`setupOtel: P=${JSON.stringify(malformed)} is invalid; expected JSON such as {"type":"boolean","payload":true}; ignored`],
    });
  }
});

test('milliseconds: a whole number above 0; anything else is unset with a warning naming the default', (t) => {
  t.deepEqual(reading({ M: '250' }, (r) => r.milliseconds('M', 1000)), { value: 250, warnings: [] });
  t.deepEqual(reading({ M: '' }, (r) => r.milliseconds('M', 1000)), { value: undefined, warnings: [] });
  for (const value of ['0', '-5', '1.5', '10s', '1e3', '99999999999999999999']) {
    t.deepEqual(reading({ M: value }, (r) => r.milliseconds('M', 1000)), {
      value: undefined,
      warnings: [`setupOtel: M=${JSON.stringify(value)} is invalid; expected a whole number of milliseconds above 0; using 1000`],
    });
  }
});

test('choice: one of the choices in any case; anything else is unset with a warning', (t) => {
  const choices = ['http/protobuf', 'http/json'] as const;
  t.deepEqual(reading({ C: 'HTTP/JSON' }, (r) => r.choice('C', choices, 'http/protobuf')), { value: 'http/json', warnings: [] });
  t.deepEqual(reading({}, (r) => r.choice('C', choices, 'http/protobuf')), { value: undefined, warnings: [] });
  t.deepEqual(reading({ C: 'grpc' }, (r) => r.choice('C', choices, 'http/protobuf', ' (not gRPC)')), {
    value: undefined,
    warnings: ['setupOtel: C="grpc" is invalid; expected http/protobuf or http/json (not gRPC); using http/protobuf'],
  });
});

test('names: a comma list in any case, duplicates and blanks dropped; unknown names skipped with a warning each', (t) => {
  const known = ['tracecontext', 'baggage', 'b3'] as const;
  t.deepEqual(reading({ N: ' B3 , tracecontext,,b3 ' }, (r) => r.names('N', known)), { value: ['b3', 'tracecontext'], warnings: [] });
  t.deepEqual(reading({ N: ' ' }, (r) => r.names('N', known)), { value: undefined, warnings: [] });
  t.deepEqual(reading({ N: 'jaeger,baggage,xray' }, (r) => r.names('N', known)), {
    value: ['baggage'],
    warnings: [
      'setupOtel: N="jaeger,baggage,xray" names "jaeger", not one of tracecontext, baggage, b3, none; skipped',
      'setupOtel: N="jaeger,baggage,xray" names "xray", not one of tracecontext, baggage, b3, none; skipped',
    ],
  });
});

test('names: none is the empty list, and wins with a warning when other names come with it', (t) => {
  const known = ['otlp', 'console'] as const;
  t.deepEqual(reading({ N: 'None' }, (r) => r.names('N', known)), { value: [], warnings: [] });
  t.deepEqual(reading({ N: 'console,none' }, (r) => r.names('N', known)), {
    value: [],
    warnings: ['setupOtel: N="console,none" combines none with other names; using none'],
  });
});

test('a value read twice is warned about once', (t) => {
  const reader = new EnvironmentReader({ B: 'yes' });
  reader.boolean('B');
  reader.boolean('B');
  t.deepEqual(reader.warnings, ['setupOtel: B="yes" is invalid; expected true or false; using false']);
});
